// The public HTTP API: the Docker Engine API v1.41 swarm subset, so that the stock docker CLI
// drives Berth. The caller listens; it adds non-Engine routes (such as the dispatcher's session
// endpoint) through `plugins`, which share the headers and error handling below.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ServerOptions as HttpsServerOptions } from 'node:https';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest, type RawServerDefault } from 'fastify';
import type { Store } from '../store/index.js';
import type { ContainerSource, LogSource } from '../types/index.js';
import { silentLogger, type Logger } from '../common/log.js';
import { installErrorHandlers } from './http/errors.js';
import { SERVER_TIMEOUTS, SPEC_BODY_LIMIT, installJsonParser } from './http/http.js';
import { containerRoutes } from './routes/containers.js';
import { distributionRoutes } from './routes/distribution.js';
import { eventRoutes } from './routes/events.js';
import { execRoutes } from './routes/exec.js';
import { execWebSocketRoutes } from './routes/exec-ws.js';
import { routeUpgrades } from './http/upgrade.js';
import { logRoutes } from './routes/logs.js';
import { networkRoutes } from './routes/networks.js';
import { registryCredentialRoutes } from './routes/registry-credentials.js';
import { imageUpdateRoutes, type RegistryTags } from './routes/image-updates.js';
import { nodeRoutes } from './routes/nodes.js';
import { openApiRoutes } from './routes/openapi.js';
import { configRoutes, secretRoutes } from './routes/secrets.js';
import { serviceRoutes } from './routes/services.js';
import { swarmRoutes } from './routes/swarm.js';
import { autolockRoutes } from './routes/autolock.js';
import { systemRoutes } from './routes/system.js';
import { taskRoutes } from './routes/tasks.js';
import { API_VERSION, checkVersion, stripVersion } from './http/version.js';

export interface ApiServerOptions {
  store: Store;
  log?: Logger;
  info: {
    version: string;
    hostname: string;
    /** The node this manager runs on, if it has one: /info reports it as the local node. */
    nodeId?: () => string | undefined;
    /** HOST:PORT of the cluster port as other machines reach it (once it listens). */
    clusterAddr?: () => string;
    /** Which managers are alive and which leads (several managers on etcd); one manager leads alone without it. */
    managers?: () => ManagerView;
  };
  plugins?: Array<(app: FastifyInstance) => void | Promise<void>>;
  /** Hooks on every route, added before the API waits for durability (the audit log's: its entry is then durable with the change). */
  hooks?: (app: FastifyInstance) => void;
  /** Where service and task logs come from (the dispatcher's log broker). */
  logs?: LogSource;
  /** Where the container and exec routes reach the nodes' engines (the dispatcher's container broker). */
  containers?: ContainerSource;
  /** TLS for the TCP listener (the manager asks for and verifies client certificates). */
  https?: HttpsServerOptions;
  /** Shortest node certificate expiry `docker swarm update --cert-expiry` may set (ns; default Swarm's 1h). */
  minCertExpiryNs?: number;
  /** authenticate runs before every request and throws a domain error to refuse it. */
  authenticate?: (request: FastifyRequest) => void;
  /** A root CA to verify a registry (HOST:PORT) with beside the system's: the cluster root for the cluster's own registry. */
  registryRoot?: (registry: string) => string | undefined;
  /** The registry running in this process (`berth up`), once it runs: the update check reads its tags. */
  registryTags?: () => RegistryTags | undefined;
}

/** The managers as the election sees them, by cluster address (HOST:PORT, a manager node's ManagerStatus.Addr). */
export interface ManagerView {
  leader: string | undefined;
  reachable: ReadonlySet<string>;
}

export function createApiServer(opts: ApiServerOptions): FastifyInstance {
  const app = engineServer({ log: opts.log, version: opts.info.version, https: opts.https, authenticate: opts.authenticate });
  opts.hooks?.(app);
  acknowledgeWhenDurable(app, opts.store);
  systemRoutes(app, opts);
  nodeRoutes(app, opts.store, opts.info.managers);
  serviceRoutes(app, opts.store);
  swarmRoutes(app, opts.store, { minCertExpiryNs: opts.minCertExpiryNs });
  autolockRoutes(app);
  taskRoutes(app, opts.store);
  secretRoutes(app, opts.store);
  configRoutes(app, opts.store);
  logRoutes(app, opts.store, opts.logs);
  eventRoutes(app, opts.store);
  containerRoutes(app, opts.store, opts.containers);
  execRoutes(app, opts.store, opts.containers);
  execWebSocketRoutes(app, opts.store, opts.containers);
  routeUpgrades(app.server, (req, res) => app.server.emit('request', req, res));
  networkRoutes(app, opts.store);
  distributionRoutes(app, opts.registryRoot);
  registryCredentialRoutes(app, opts.store);
  imageUpdateRoutes(app, opts.store, opts.registryTags ?? (() => undefined));
  openApiRoutes(app);
  for (const plugin of opts.plugins ?? []) {
    void app.register(async (scope) => plugin(scope));
  }
  return app;
}

/** How long a change may wait for the store's backend (etcd) before the client hears that it is not saved yet. */
const DURABLE_TIMEOUT_MS = 30_000;

/** The store index a change's answer reflects (the commit, or a later one): see manager/forward.ts. */
export const STORE_INDEX_HEADER = 'berth-store-index';

/**
 * acknowledgeWhenDurable holds every answer to a request that may have changed something until
 * the store has persisted it (at once on SQLite; once etcd confirms it on etcd): an acknowledged
 * write survives the loss of this manager.
 */
function acknowledgeWhenDurable(app: FastifyInstance, store: Store): void {
  app.addHook('onSend', async (request, reply, payload) => {
    if (request.method === 'GET' || request.method === 'HEAD') return payload;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        store.durable(),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`etcd has not confirmed it within ${DURABLE_TIMEOUT_MS / 1000} s; it is saved once etcd answers, unless this manager stops first`)), DURABLE_TIMEOUT_MS))),
      ]);
      // A follower that forwarded the request answers once its own copy has this commit too.
      reply.header(STORE_INDEX_HEADER, String(store.index));
      return payload;
    } catch (err) {
      reply.code(503).header('Content-Type', 'application/json');
      return JSON.stringify({ message: `the change is not saved: ${(err as Error).message}` });
    } finally {
      clearTimeout(timer);
    }
  });
}

/**
 * answerMalformed answers a request node's parser refused (a bad method, oversized headers, a
 * dribbled request) as fastify would — 400, 431 or 408, then close — but in Docker's error shape.
 */
function answerMalformed(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
  const [status, text] = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'Request Timeout'] : err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large'] : [400, 'Bad Request'];
  const body = JSON.stringify({ message: `malformed HTTP request (${err.code ?? 'parse error'}): ${status === 408 ? 'it did not arrive in time' : 'check the method, headers and body framing'}` });
  socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/**
 * engineServer gives a server with the Engine API's conventions and no routes: versioned paths,
 * its response headers, JSON bodies and Docker's error shape. The full API and the API of a
 * locked manager (locked.ts) are built on it.
 */
export function engineServer(opts: { log?: Logger; version: string; https?: HttpsServerOptions; authenticate?: (request: FastifyRequest) => void }): FastifyInstance {
  // The logger type parameter is widened so that routes and plugins take a plain FastifyInstance.
  const app: FastifyInstance = Fastify<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger>({
    ...(opts.https && { https: opts.https }),
    loggerInstance: opts.log ?? silentLogger(),
    // The CLI polls several times a second while it follows an update: log requests at debug only.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: SPEC_BODY_LIMIT,
    // fastify sets requestTimeout on the server itself (0, no limit, unless given).
    requestTimeout: SERVER_TIMEOUTS.requestTimeout,
    http: SERVER_TIMEOUTS,
    rewriteUrl: (req) => stripVersion(req.url ?? '/'),
    clientErrorHandler: answerMalformed,
  });

  const serverHeader = `Berth/${opts.version} (linux)`;
  app.addHook('onRequest', async (request) => {
    opts.authenticate?.(request);
    checkVersion(request.originalUrl);
  });
  app.addHook('onSend', async (_request, reply) => {
    // The CLI decodes an error body only when the Content-Type is exactly application/json.
    if (String(reply.getHeader('content-type') ?? '').startsWith('application/json')) {
      reply.header('Content-Type', 'application/json');
    }
    reply.header('Api-Version', API_VERSION);
    reply.header('Server', serverHeader);
    reply.header('Ostype', 'linux');
    reply.header('Docker-Experimental', 'false');
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.debug({ method: request.method, url: request.originalUrl, status: reply.statusCode }, 'api request');
  });

  installJsonParser(app);
  installErrorHandlers(app);
  return app;
}
