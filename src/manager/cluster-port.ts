// The cluster port (Swarm's 2377): mutual TLS between the manager and its agents. The server
// presents a manager certificate from the cluster CA and asks every peer for its certificate
// without requiring one: a joining node has none yet and may only fetch the root and join;
// every other route and the dispatcher's session check the peer's verified certificate.
// On a follower the session, joins and renewals are redirected to the leader (leader-redirect.ts).

import type { TLSSocket } from 'node:tls';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { caRoutes, issueWithKey, type CertificateAuthority } from '../ca/index.js';
import type { Logger } from '../common/log.js';
import { newId } from '../common/ids.js';
import { MANAGER_SERVER_NAME, OU_MANAGER, renewalDelayMs } from '../common/pki.js';
import { installErrorHandlers } from '../api/index.js';
import type { Dispatcher } from '../dispatcher/index.js';
import { followerAnswer, type LeaderAddress } from './leader-redirect.js';

/** Join and renewal bodies are a token, a hostname and a CSR: a few KiB. */
const BODY_LIMIT = 64 * 1024;
/** The manager's own certificate: renewed well before it ends, like a node's. */
const SERVER_CERT_VALIDITY_MS = 90 * 24 * 3600_000;
/** A peer has this long to finish its TLS handshake and send a request. */
const HANDSHAKE_TIMEOUT_MS = 10_000;

export interface ClusterPort {
  app: FastifyInstance;
  port: number;
  /** refresh serves a new certificate from the CA's current signer and trusts its current roots (root rotation). */
  refresh(): Promise<void>;
  stop(): Promise<void>;
}

export async function startClusterPort(opts: {
  ca: CertificateAuthority;
  clusterId: string;
  dispatcher: Dispatcher;
  host: string;
  port: number;
  /** Addresses the certificate names besides swarm-manager (the advertise address). */
  names: string[];
  log: Logger;
  /** Who leads, asked at each request: unset or `undefined` this manager (see LeaderAddress). */
  leader?: () => LeaderAddress;
}): Promise<ClusterPort> {
  const commonName = newId();
  // During a root rotation the chain carries the new root cross-signed by the old, so agents
  // that trust only the old root accept a certificate from the new one.
  const serverCert = async () => {
    const issued = await issueWithKey(opts.ca.root, {
      subject: { commonName, role: OU_MANAGER, cluster: opts.clusterId },
      validityMs: SERVER_CERT_VALIDITY_MS,
      names: [MANAGER_SERVER_NAME, ...opts.names],
    });
    return { key: issued.key, cert: issued.cert + (opts.ca.trust.chain ?? '') };
  };
  const setContext = (c: { key: string; cert: string }): void =>
    (app.server as unknown as { setSecureContext(o: object): void }).setSecureContext({ key: c.key, cert: c.cert, ca: opts.ca.rootPem });
  const first = await serverCert();
  // The logger type parameter is widened so the shared error handlers and routes take it.
  const app = Fastify({
    https: { key: first.key, cert: first.cert, ca: opts.ca.rootPem, requestCert: true, rejectUnauthorized: false, handshakeTimeout: HANDSHAKE_TIMEOUT_MS },
    bodyLimit: BODY_LIMIT,
    loggerInstance: opts.log.child({ part: 'cluster-port' }),
    logController: new LogController({ disableRequestLogging: true }),
    connectionTimeout: 0,
    requestTimeout: HANDSHAKE_TIMEOUT_MS,
  }) as unknown as FastifyInstance;
  installErrorHandlers(app);
  const answer = (method: string, url: string | undefined) => followerAnswer(method, (url ?? '/').split('?')[0]!, opts.leader?.());
  // Before the body is read: a follower has no use for it.
  app.addHook('onRequest', async (request, reply) => {
    const instead = answer(request.method, request.url);
    if (instead) return reply.code(instead.status).headers(instead.headers).send({ message: instead.message });
  });
  caRoutes(app, opts.ca);
  opts.dispatcher.attach(app.server, (req) => answer(req.method ?? 'GET', req.url));
  app.server.on('tlsClientError', (err: Error, socket: TLSSocket) => {
    opts.log.debug({ err: err.message, remote: socket.remoteAddress }, 'cluster port: TLS handshake failed');
  });
  await app.listen({ host: opts.host, port: opts.port });
  const port = (app.server.address() as { port: number }).port;

  let timer: NodeJS.Timeout | undefined;
  const scheduleRenewal = (certPem: string): void => {
    timer = setTimeout(() => {
      serverCert().then(
        (next) => {
          setContext(next);
          scheduleRenewal(next.cert);
        },
        (err: unknown) => {
          opts.log.error({ err }, 'renewing the cluster port certificate failed; retrying in a minute');
          timer = setTimeout(() => scheduleRenewal(certPem), 60_000);
        },
      );
    }, Math.min(renewalDelayMs(certPem), 2 ** 31 - 1));
    timer.unref();
  };
  scheduleRenewal(first.cert);
  return {
    app,
    port,
    refresh: async () => {
      const next = await serverCert();
      setContext(next);
      clearTimeout(timer);
      scheduleRenewal(next.cert);
    },
    stop: async () => {
      clearTimeout(timer);
      await app.close();
    },
  };
}
