// How the API is reached. Locally through a unix socket guarded as Docker's own (owned by root,
// mode 0660): whoever may open it is root on every node, as with /var/run/docker.sock. Over
// TCP — loopback included — only with TLS, and a client certificate from the cluster CA that
// was not revoked (Docker's DOCKER_TLS_VERIFY model) or a token: a bad certificate fails the
// handshake, a request with neither gets a 401. `--insecure-api` turns that off, on loopback only.

import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { writeFileAtomic } from '../common/files.js';
import { issueWithKey, type CertificateAuthority, type ClientCertificates } from '../ca/index.js';
import { peerIdentity } from '../common/peer.js';
import { certificateRequest, keyPem, newKeyPair, OU_CLIENT, OU_MANAGER } from '../common/pki.js';
import type { Logger } from '../common/log.js';
import { UnauthorizedError } from '../types/index.js';
import { routeUpgrades } from '../api/index.js';

const SERVER_CERT_VALIDITY_MS = 365 * 24 * 3600_000;
/** The admin bundle is made again when it has less than this left. */
const BUNDLE_RENEW_MS = 30 * 24 * 3600_000;

/** apiServerTls gives the TCP listener's certificate: every name a client may use for this machine. */
export async function apiServerTls(ca: CertificateAuthority, clusterId: string, extraNames: string[]): Promise<{ key: string; cert: string }> {
  const issued = await issueWithKey(ca.root, { subject: { commonName: `api.${clusterId}`, role: OU_MANAGER, cluster: clusterId }, validityMs: SERVER_CERT_VALIDITY_MS, names: machineNames(extraNames) });
  // During a root rotation the new root, cross-signed by the old, lets clients that trust only the old one verify it.
  return { key: issued.key, cert: issued.cert + (ca.trust.chain ?? '') };
}

/** machineNames: every name and address a client may use for this machine (loopback included), and `extraNames`. */
export function machineNames(extraNames: string[]): string[] {
  const addresses = Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address.replace(/%.*$/, '')));
  return [...new Set(['localhost', hostname(), '127.0.0.1', '::1', ...addresses, ...extraNames].filter((n) => n && n !== '0.0.0.0' && n !== '::'))];
}

/**
 * clientGuard closes TLS connections whose client certificate is not a live one of this cluster
 * (OU berth-client, not revoked; a worker's certificate chains to the same root and is refused;
 * one from another CA too), checked at the handshake's end and again on every request, so a
 * revocation also closes kept-alive connections. A connection with no certificate stays open: it
 * must bring a token, which the access layer checks per request. A manager's certificate is taken
 * too: followers pass requests on to the leader with theirs.
 */
export function clientGuard(clients: ClientCertificates): { authenticate(request: FastifyRequest): void; attach(app: FastifyInstance): void } {
  const acceptable = (socket: TLSSocket): boolean => {
    const cert = socket.getPeerX509Certificate?.();
    if (!cert) return true;
    const peer = peerIdentity(socket, [OU_CLIENT, OU_MANAGER]);
    if (peer?.role === OU_MANAGER) return true;
    return !!peer && clients.allowed(cert.serialNumber);
  };
  return {
    authenticate(request) {
      const socket = request.raw.socket as TLSSocket;
      if (socket.encrypted && !acceptable(socket)) {
        socket.destroy();
        throw new UnauthorizedError('a client certificate from this cluster\'s CA that was not revoked is required');
      }
    },
    attach(app) {
      app.server.on('secureConnection', (socket: TLSSocket) => {
        if (!acceptable(socket)) socket.destroy();
      });
    },
  };
}

/** listenUnix serves the API on a unix socket only root (and root's group) may open. */
export async function listenUnix(app: FastifyInstance, path: string, log: Logger): Promise<Server> {
  rmSync(path, { force: true });
  const server = createServer((req, res) => app.routing(req, res));
  routeUpgrades(server, (req, res) => app.routing(req, res));
  // Created with no permission for others from the start: there is no window to connect through.
  const mask = process.umask(0o117);
  try {
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(path, resolve));
  } finally {
    process.umask(mask);
  }
  chmodSync(path, 0o660);
  log.info({ path }, 'API listening on the unix socket');
  return server;
}

/**
 * ensureAdminBundle writes the admin's client bundle (ca.pem, cert.pem, key.pem: what
 * DOCKER_CERT_PATH holds) on first start, and again when it nears its end, was revoked, or a
 * root rotation made its issuer a root the API no longer trusts; ca.pem follows the trusted roots.
 */
export async function ensureAdminBundle(dir: string, clients: ClientCertificates, ca: CertificateAuthority): Promise<void> {
  const certFile = join(dir, 'cert.pem');
  const caFile = join(dir, 'ca.pem');
  if (existsSync(certFile) && existsSync(join(dir, 'key.pem'))) {
    const cert = new X509Certificate(readFileSync(certFile, 'utf8'));
    const trusted = new X509Certificate(ca.trust.current).publicKey;
    if (Date.parse(cert.validTo) - Date.now() > BUNDLE_RENEW_MS && clients.allowed(cert.serialNumber) && cert.verify(trusted)) {
      if (!existsSync(caFile) || readFileSync(caFile, 'utf8') !== ca.rootPem) writeFileAtomic(caFile, ca.rootPem, 0o644);
      return;
    }
  }
  const rootPem = ca.rootPem;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keys = await newKeyPair();
  const issued = await clients.issue('admin', await certificateRequest(keys, 'admin'));
  writeFileAtomic(join(dir, 'key.pem'), await keyPem(keys.privateKey), 0o600);
  writeFileAtomic(join(dir, 'cert.pem'), issued.Certificate, 0o644);
  writeFileAtomic(caFile, rootPem, 0o644);
}
