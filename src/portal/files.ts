// The built portal (Vite's output, dist/ui) held in memory: a few hundred KB of immutable
// files, each compressed once at start, so a page load costs no disk reads or compression.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

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
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.json', '.svg', '.txt']);

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
      else {
        const rel = relative(dir, path).split(sep).join('/');
        const ext = extname(name);
        const body = readFileSync(path);
        const packable = COMPRESSIBLE.has(ext) && body.length > 1024;
        files.set(rel, {
          body,
          type: TYPES[ext] ?? 'application/octet-stream',
          immutable: rel.startsWith('assets/'),
          ...(packable && { gzip: gzipSync(body, { level: 9 }), br: brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }) }),
        });
      }
    }
  };
  walk(dir);
  return files;
}
