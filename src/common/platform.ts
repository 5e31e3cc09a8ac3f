// One spelling for CPU architectures when comparing: engines report x86_64/aarch64, images and
// Go use amd64/arm64. Values are stored as reported (Swarm shows the engine's x86_64) and only
// normalised to compare, so `node.platform.arch==x86_64` and `==amd64` both match.

const ALIASES: Record<string, string> = {
  x86_64: 'amd64',
  x86: '386',
  i386: '386',
  i686: '386',
  aarch64: 'arm64',
  armhf: 'arm',
  armel: 'arm',
  armv7l: 'arm',
  armv6l: 'arm',
};

export function normaliseArch(arch: string | undefined): string {
  const a = (arch ?? '').toLowerCase();
  return ALIASES[a] ?? a;
}

export function sameArch(a: string | undefined, b: string | undefined): boolean {
  return normaliseArch(a) === normaliseArch(b);
}
