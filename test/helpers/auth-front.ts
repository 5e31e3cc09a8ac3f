// A small auth front for registry tests: a real HTTP (or HTTPS) server that answers 401 with
// Bearer or Basic challenges, issues tokens from its realm for Basic credentials alice:pw, and
// forwards authorised requests to a registry untouched (except that tag lists are cut into pages
// of 2, so clients must follow `Link`).

import { randomBytes } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';

export const GOOD = `Basic ${Buffer.from('alice:pw').toString('base64')}`;

export interface Front {
  url: string;
  tokenRequests: Array<{ scopes: string[]; authorization?: string }>;
  close(): Promise<void>;
}

/** startFront serves `mode` auth in front of `upstream` (host:port), over TLS when given a key pair. */
export async function startFront(upstream: string, mode: 'bearer' | 'basic', tls?: { key: Buffer; cert: Buffer }): Promise<Front> {
  const tokens = new Set<string>();
  const tokenRequests: Front['tokenRequests'] = [];
  let url = '';
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const target = new URL(req.url!, 'http://x');
    if (target.pathname === '/token') {
      tokenRequests.push({ scopes: target.searchParams.getAll('scope'), authorization: req.headers.authorization });
      if (req.headers.authorization !== GOOD) return void res.writeHead(401).end();
      const token = randomBytes(8).toString('hex');
      tokens.add(token);
      return void res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token, expires_in: 300 }));
    }
    const auth = req.headers.authorization ?? '';
    const ok = mode === 'basic' ? auth === GOOD : tokens.has(auth.replace(/^Bearer /, ''));
    if (!ok) {
      const repo = /^\/v2\/(.+)\/(?:manifests|blobs|tags)\//.exec(target.pathname)?.[1];
      const challenge = mode === 'basic' ? 'Basic realm="front"' : `Bearer realm="${url}/token",service="front"${repo ? `,scope="repository:${repo}:pull"` : ''}`;
      req.resume();
      return void res.writeHead(401, { 'WWW-Authenticate': challenge, 'Content-Type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
    }
    if (target.pathname.endsWith('/tags/list') && !target.searchParams.has('n')) target.searchParams.set('n', '2');
    const up = http.request(`http://${upstream}${target.pathname}${target.search}`, { method: req.method, headers: { ...req.headers, host: upstream } }, (r) => {
      res.writeHead(r.statusCode!, r.headers);
      r.pipe(res);
    });
    req.pipe(up);
  };
  const server = tls ? https.createServer(tls, handle) : http.createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as { port: number }).port}`;
  return { url, tokenRequests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
