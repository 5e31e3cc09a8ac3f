// Which spec endpoint a request path is. Paths are matched undecoded: names, tags, digests and
// upload ids never contain "%", so an encoded path cannot smuggle "/" or ".." past the checks.

import type { Action } from '../auth/access.js';

export type Endpoint =
  | { kind: 'base' }
  | { kind: 'blob'; name: string; ref: string }
  | { kind: 'uploads'; name: string }
  | { kind: 'upload'; name: string; ref: string }
  | { kind: 'manifest'; name: string; ref: string }
  | { kind: 'tags'; name: string }
  | { kind: 'referrers'; name: string; ref: string };

export type EndpointKind = Endpoint['kind'];

const PATTERNS: Array<[RegExp, (m: RegExpExecArray) => Endpoint]> = [
  [/^\/v2\/?$/, () => ({ kind: 'base' })],
  [/^\/v2\/(.+)\/blobs\/uploads\/?$/, (m) => ({ kind: 'uploads', name: m[1]! })],
  [/^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/, (m) => ({ kind: 'upload', name: m[1]!, ref: m[2]! })],
  [/^\/v2\/(.+)\/blobs\/([^/]+)$/, (m) => ({ kind: 'blob', name: m[1]!, ref: m[2]! })],
  [/^\/v2\/(.+)\/manifests\/([^/]+)$/, (m) => ({ kind: 'manifest', name: m[1]!, ref: m[2]! })],
  [/^\/v2\/(.+)\/tags\/list$/, (m) => ({ kind: 'tags', name: m[1]! })],
  [/^\/v2\/(.+)\/referrers\/([^/]+)$/, (m) => ({ kind: 'referrers', name: m[1]!, ref: m[2]! })],
];

export function matchEndpoint(path: string): Endpoint | undefined {
  for (const [re, make] of PATTERNS) {
    const m = re.exec(path);
    if (m) return make(m);
  }
  return undefined;
}

/** The actions a request needs on its repository (token auth asks for pull with push, as distribution does). */
export function actionsFor(kind: EndpointKind, method: string): Action[] {
  if (kind === 'base') return [];
  if (method === 'DELETE' && (kind === 'blob' || kind === 'manifest')) return ['delete'];
  if (kind === 'uploads' || kind === 'upload' || (kind === 'manifest' && method === 'PUT')) return ['pull', 'push'];
  return ['pull'];
}
