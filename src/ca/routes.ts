// The CA's routes on the cluster port: the root certificate (public: a joining node checks it
// against its token's digest), joining with a token and a CSR, and renewing with the current
// certificate.

import type { TLSSocket } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import { peerIdentity, remoteIp } from '../common/peer.js';
import { OU_MANAGER, OU_WORKER, type CertIdentity } from '../common/pki.js';
import { CA_PATH, JOIN_PATH, RENEW_PATH, UnauthorizedError, type CaResponse, type JoinResponse } from '../types/index.js';
import type { CertificateAuthority } from './authority.js';

export function caRoutes(app: FastifyInstance, ca: CertificateAuthority): void {
  app.get(CA_PATH, (): CaResponse => ({ rootCA: ca.rootPem }));
  app.post(JOIN_PATH, (request): Promise<JoinResponse> => ca.join(request.body, remoteIp(request.socket.remoteAddress)));
  app.post(RENEW_PATH, (request): Promise<JoinResponse> => ca.renew(nodeIdentity(request.socket as TLSSocket), request.body));
}

/** nodeIdentity is who a verified node certificate says the peer is. */
function nodeIdentity(socket: TLSSocket): CertIdentity {
  const peer = peerIdentity(socket, [OU_WORKER, OU_MANAGER]);
  if (!peer) throw new UnauthorizedError("a node certificate from this cluster's CA is required");
  return peer;
}
