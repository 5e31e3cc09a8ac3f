// The registry's HTTP server (OCI Distribution Spec v1.1), a fastify instance of its own. One
// route takes every /v2/ request: it finds the endpoint, checks the repository name, asks the
// authorizer, and runs the handler. Request bodies are never parsed by fastify: blob handlers
// stream the raw request to storage, manifest handlers read it with a size cap.

import type { IncomingMessage, ServerResponse } from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type RawServerDefault } from 'fastify';
import { HTTP_STATUS } from '../../common/http-status.js';
import { isLoopback } from '../../common/listen.js';
import { silentLogger, type Logger } from '../../common/log.js';
import { BerthError } from '../../types/index.js';
import { allowAll, trustEveryone, type AccessScope, type Authorizer } from '../auth/access.js';
import { registerAdmin, type AdminGuard, type AdminRoutes } from '../admin/admin.js';
import { BlobStore } from '../storage/blob-store.js';
import { actionsFor, matchEndpoint, type EndpointKind } from './endpoints.js';
import { RegistryError, type ErrorEntry } from './errors.js';
import { RegistryEvents, requestCaller } from '../events.js';
import { sendJson, type Handler, type Services } from './http.js';
import { ManifestStore } from '../storage/manifest-store.js';
import { checkName } from './names.js';
import { deleteBlob, getBlob } from './routes-blobs.js';
import { base, listReferrers, listTags } from './routes-discovery.js';
import { deleteManifest, getManifest, putManifest } from './routes-manifests.js';
import { cancelUpload, patchUpload, putUpload, startUpload, uploadStatus } from './routes-uploads.js';
import type { StorageDriver } from '../storage/storage-driver.js';
import { Guards, type RegistryGuard } from '../policies/guards.js';
import type { Store } from '../../store/index.js';
import type { RegistryMetrics } from '../metrics.js';
import { SweepFence } from '../storage/sweep-fence.js';
import { Uploads } from '../storage/uploads.js';

/** distribution's limit, and the spec's "at least 4 megabytes". */
export const DEFAULT_MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export interface RegistryServerOptions {
  driver: StorageDriver;
  log?: Logger;
  events?: RegistryEvents;
  authorize?: Authorizer;
  maxManifestBytes?: number;
  /** With a store, the admin API (`/berth/v1/registry/...`) is served with these routes. */
  store?: Store;
  /** Policies that may refuse pushes and deletes (quotas, tag immutability). */
  guards?: RegistryGuard[];
  guard?: AdminGuard;
  adminRoutes?: AdminRoutes[];
  /** Shared with the garbage collector, so pushes and sweeps never delete under each other. */
  fence?: SweepFence;
  /** With metrics, every request is measured and `/metrics` serves them. */
  metrics?: RegistryMetrics;
  /** PEM certificate and key: serve HTTPS. */
  https?: { cert: Buffer | string; key: Buffer | string };
}

const HANDLERS: Record<EndpointKind, Partial<Record<string, Handler>>> = {
  base: { GET: base, HEAD: base },
  blob: { GET: getBlob, HEAD: getBlob, DELETE: deleteBlob },
  uploads: { POST: startUpload },
  upload: { GET: uploadStatus, PATCH: patchUpload, PUT: putUpload, DELETE: cancelUpload },
  manifest: { GET: getManifest, HEAD: getManifest, PUT: putManifest, DELETE: deleteManifest },
  tags: { GET: listTags },
  referrers: { GET: listReferrers },
};

export function createRegistryServer(opts: RegistryServerOptions): FastifyInstance {
  const log = opts.log ?? silentLogger();
  const app: FastifyInstance = Fastify<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger>({
    loggerInstance: log,
    logController: new LogController({ disableRequestLogging: true }),
    exposeHeadRoutes: false,
    // The registry is one server either way; fastify's https typing is a different instance type.
    ...((opts.https ? { https: opts.https } : {}) as object),
  });
  const events = opts.events ?? new RegistryEvents(log);
  const guards = new Guards(opts.guards);
  const fence = opts.fence ?? new SweepFence();
  const blobs = new BlobStore(opts.driver, events, guards, fence);
  const services: Services = {
    blobs,
    uploads: new Uploads(opts.driver, blobs, fence),
    manifests: new ManifestStore(opts.driver, blobs, events, guards, fence),
    events,
    maxManifestBytes: opts.maxManifestBytes ?? DEFAULT_MAX_MANIFEST_BYTES,
  };
  const authorize = opts.authorize ?? allowAll;

  // Hand every body through untouched, whatever its Content-Type.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));
  // Set at the start, not onSend: blob bodies are sent outside fastify's reply (sendSource).
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('Docker-Distribution-API-Version', 'registry/2.0');
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.debug({ method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'registry request');
    opts.metrics?.request(request.url, request.method, reply.statusCode, reply.elapsedTime / 1000, Number(reply.getHeader('content-length')) || undefined);
  });

  app.route({
    method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    url: '/v2*',
    handler: async (request, reply) => {
      const url = request.url;
      const q = url.indexOf('?');
      const path = q < 0 ? url : url.slice(0, q);
      const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
      const endpoint = matchEndpoint(path);
      if (!endpoint) throw new RegistryError('UNSUPPORTED', 404, `no registry endpoint at ${path.slice(0, 300)}`);
      const handler = HANDLERS[endpoint.kind][request.method];
      if (!handler) {
        reply.header('Allow', Object.keys(HANDLERS[endpoint.kind]).join(', '));
        throw new RegistryError('UNSUPPORTED', 405, `${request.method} is not supported on ${path.slice(0, 300)}`);
      }
      const name = endpoint.kind === 'base' ? '' : checkName(endpoint.name);
      const scopes: AccessScope[] = name ? [{ repository: name, actions: actionsFor(endpoint.kind, request.method) }] : [];
      const from = query.get('from');
      if (endpoint.kind === 'uploads' && query.has('mount') && from !== null) scopes.push({ repository: checkName(from), actions: ['pull'] });
      const actor = await authorize({ method: request.method, url, headers: request.headers, scopes });
      const ref = 'ref' in endpoint ? endpoint.ref : '';
      // What the handler and the stores emit names the caller (the audit log's registry entries).
      return requestCaller.run({ actor, source: (request.socket.remoteAddress ?? '').replace(/^::ffff:/, '') }, () => handler({ request, reply, name, ref, query, services }));
    },
  });

  const metrics = opts.metrics;
  if (metrics) {
    const guard = opts.guard ?? trustEveryone;
    app.get('/metrics', async (request, reply) => {
      // Storage per project names every project, private ones too: off loopback (a TLS listener)
      // only a system administrator may scrape; Prometheus sends Basic credentials.
      if (!isLoopback((request.socket.remoteAddress ?? '').replace(/^::ffff:/, ''))) {
        try {
          await guard(request, { admin: true });
        } catch (err) {
          if (!(err instanceof BerthError)) throw err;
          if (err.code === 'UNAUTHORIZED') reply.header('WWW-Authenticate', 'Basic realm="berth-registry"');
          return reply.code(HTTP_STATUS[err.code]).send({ message: err.message });
        }
      }
      return reply.header('Content-Type', metrics.registry.contentType).send(await metrics.registry.metrics());
    });
  }

  if (opts.store) {
    registerAdmin(app, { store: opts.store, guard: opts.guard ?? trustEveryone, driver: opts.driver, events, manifests: services.manifests, log }, opts.adminRoutes ?? []);
  }

  app.setErrorHandler((err, request, reply) => sendError(err, request.method, reply, log));
  app.setNotFoundHandler((request, reply) =>
    sendError(new RegistryError('UNSUPPORTED', 404, `no registry endpoint at ${request.url.slice(0, 300)}`), request.method, reply, log),
  );
  return app;
}

function sendError(err: unknown, method: string, reply: FastifyReply, log: Logger): FastifyReply {
  let status: number;
  let errors: ErrorEntry[];
  if (err instanceof RegistryError) {
    status = err.status;
    errors = err.entries();
    reply.headers(err.headers);
  } else if (isClientError(err)) {
    // fastify's own request errors (malformed headers and the like).
    status = err.statusCode;
    errors = [{ code: 'UNSUPPORTED', message: err.message }];
  } else {
    log.error({ err }, 'registry: unexpected error');
    status = 500;
    errors = [{ code: 'UNSUPPORTED', message: 'internal error; the registry log has the details' }];
  }
  if (method === 'HEAD') return reply.code(status).send();
  return sendJson(reply, status, { errors });
}

function isClientError(err: unknown): err is { statusCode: number; message: string } {
  const status = (err as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' && status >= 400 && status < 500;
}
