import { packageRoot } from './package-root.js';

/** berthVersion reads the version from the package.json above this file (source or dist). */
export function berthVersion(): string {
  return packageRoot()?.pkg.version ?? '0.0.0';
}
