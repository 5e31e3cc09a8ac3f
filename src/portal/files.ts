// The built portal (Vite's output, dist/ui) held in memory: a few MB of immutable files, with
// the brotli and gzip copies the build wrote beside them (portal/precompress.ts), so a page load
// costs no disk read and no compression — and neither does a manager's start.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PortalFile {
  body: Buffer;
  gzip?: Buffer;
  br?: Buffer;
  type: string;
  /** Hashed names (assets/) never change: browsers keep them a year. */
  immutable: boolean;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Where `npm run build` puts the portal: dist/ui beside dist/src (built) or under the checkout (tsx). */
export function defaultPortalDir(): string | undefined {
  const candidates = [process.env.BERTH_UI_DIR, fileURLToPath(new URL('../../ui', import.meta.url)), fileURLToPath(new URL('../../dist/ui', import.meta.url))];
  return candidates.find((d): d is string => !!d && existsSync(join(d, 'index.html')));
}

export function loadPortal(dir: string): Map<string, PortalFile> {
  const files = new Map<string, PortalFile>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (!name.endsWith('.br') && !name.endsWith('.gz')) {
        const rel = relative(dir, path).split(sep).join('/');
        const copy = (suffix: string) => (existsSync(path + suffix) ? readFileSync(path + suffix) : undefined);
        const [br, gzip] = [copy('.br'), copy('.gz')];
        files.set(rel, {
          body: readFileSync(path),
          type: TYPES[extname(name)] ?? 'application/octet-stream',
          immutable: rel.startsWith('assets/'),
          ...(br && { br }),
          ...(gzip && { gzip }),
        });
      }
    }
  };
  walk(dir);
  return files;
}
