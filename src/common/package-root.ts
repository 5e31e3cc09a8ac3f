// Where Berth's own files are: the directory of the package.json named berth above this file,
// from the sources (src/common) and from the build (dist/src/common) alike.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** packageRoot finds the package's directory and its package.json; undefined when there is none. */
export function packageRoot(): { dir: string; pkg: { name?: string; version?: string } } | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'berth') return { dir, pkg };
    }
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}
