// GET /ui/...: the web portal, served by the manager itself (one process, no web server of its
// own). Every path that is not a file is the single-page app, which routes in the browser. The
// portal calls only the public API, with the user's session: these routes need no credentials
// and give away nothing but the app's own code.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { NotFoundError } from '../types/index.js';
import { defaultPortalDir, loadPortal, type PortalFile } from './files.js';

// The app's own scripts only; Mantine sets style attributes (hence 'unsafe-inline' for styles
// alone); no frames, no forms to elsewhere, no plugins.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export interface PortalOptions {
  /** The built portal; the default finds dist/ui. */
  dir?: string;
}

export function portalRoutes(app: FastifyInstance, opts: PortalOptions = {}): void {
  const dir = opts.dir ?? defaultPortalDir();
  const files = dir ? loadPortal(dir) : new Map<string, PortalFile>();
  const index = files.get('index.html');

  const send = (request: FastifyRequest, reply: FastifyReply, file: PortalFile) => {
    const accepts = String(request.headers['accept-encoding'] ?? '');
    const [body, encoding] = file.br && /\bbr\b/.test(accepts) ? [file.br, 'br'] : file.gzip && /\bgzip\b/.test(accepts) ? [file.gzip, 'gzip'] : [file.body, undefined];
    void reply
      .header('content-type', file.type)
      .header('cache-control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
      .header('content-security-policy', CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('vary', 'accept-encoding');
    if (encoding) void reply.header('content-encoding', encoding);
    return reply.send(body);
  };

  app.get('/', (_request, reply) => reply.redirect('/ui/'));
  app.get('/ui', (_request, reply) => reply.redirect('/ui/'));
  app.get<{ Params: { '*': string } }>('/ui/*', (request, reply) => {
    if (!index) throw new NotFoundError('the portal is not built on this manager: run npm run build (scripts/setup.sh does), then restart berth');
    const path = request.params['*'];
    const file = files.get(path);
    if (file) return send(request, reply, file);
    // A missing script or style is a 404, not the app: a stale tab must not run HTML as code.
    if (path.startsWith('assets/')) throw new NotFoundError(`no such file in the portal: ${path}`);
    return send(request, reply, index);
  });
}
