// Where a secret or config reference's file appears inside the container, as the Engine places
// them on Linux (moby container.getSecretTargetPath, getConfigTargetPath). The API checks
// targets with it, the agent mounts files there.

/** A relative secret target lives under this directory. */
export const SECRETS_DIR = '/run/secrets';
/** A relative config target is relative to the root. */
export const CONFIGS_DIR = '/';

export function containerPath(kind: 'secret' | 'config', name: string): string {
  if (name.startsWith('/')) return name;
  return (kind === 'secret' ? SECRETS_DIR : CONFIGS_DIR).replace(/\/$/, '') + '/' + name;
}
