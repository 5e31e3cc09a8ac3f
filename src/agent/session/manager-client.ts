// Requests to the manager's cluster port: fetching and pinning the root CA, joining, renewing.
// Before it has a certificate a node trusts nothing but its join token: it reads the root the
// manager presents, accepts it only if its digest is the token's, and from then on talks to
// managers whose certificate chains to that root and carries the swarm-manager role. A follower
// redirects joins and renewals to the leader (307); the agent follows with the same checks.

import { X509Certificate } from 'node:crypto';
import { request } from 'node:https';
import type { PeerCertificate } from 'node:tls';
import { certificateRequest, identityOf, keyPem, MANAGER_SERVER_NAME, newKeyPair, OU_MANAGER, rootDigest, splitPem } from '../../common/pki.js';
import { parseJoinToken } from '../../common/tokens.js';
import { CA_PATH, JOIN_PATH, RENEW_PATH, type CaResponse, type JoinResponse, type ManagerKeys } from '../../types/index.js';
import type { Identity } from './identity.js';
import { MAX_REDIRECTS, redirectTarget } from './managers.js';

/** Largest answer the agent reads from the cluster port: certificates are a few KiB. */
const MAX_RESPONSE_BYTES = 256 * 1024;
const TIMEOUT_MS = 15_000;

export class JoinError extends Error {}

export interface TlsTrust {
  ca: string;
  cert?: string;
  key?: string;
  clusterId?: string;
}

/** tlsOptions gives what every connection to a manager uses: the pinned roots and the role check. */
export function tlsOptions(trust: TlsTrust): Record<string, unknown> {
  return {
    ca: trust.ca,
    cert: trust.cert,
    key: trust.key,
    servername: MANAGER_SERVER_NAME,
    checkServerIdentity: (_host: string, cert: PeerCertificate): Error | undefined => {
      const ou = [cert.subject?.OU].flat();
      if (!ou.includes(OU_MANAGER)) return new Error(`the peer's certificate is not a manager's (OU ${String(cert.subject?.OU)})`);
      if (trust.clusterId && cert.subject?.O !== trust.clusterId) return new Error(`the manager belongs to cluster ${String(cert.subject?.O)}, not ${trust.clusterId}`);
      return undefined;
    },
  };
}

/** join makes the node's key and has the manager at `addr` certify it. */
export async function join(addr: string, token: string, hostname: string, as: { manager?: boolean } = {}): Promise<Identity & { keys?: ManagerKeys }> {
  const parsed = parseJoinToken(token);
  if (!parsed) throw new JoinError('invalid join token: it is not in the form SWMTKN-1-<digest>-<secret>; `docker swarm join-token worker` on a manager prints it');
  // Nothing secret goes out on this connection: it only carries the root for us to check.
  const { rootCA } = (await call<CaResponse>(addr, 'GET', CA_PATH, undefined, { rejectUnauthorized: false })).body;
  const roots = splitPem(String(rootCA ?? ''));
  const pinned = roots.find((r) => safeDigest(r) === parsed.digest);
  if (!pinned) {
    const seen = roots.map(safeDigest).join(', ') || 'none';
    throw new JoinError(
      `refusing to join ${addr}: the manager presented a root CA (digest ${seen}) that does not match the join token's (${parsed.digest}). ` +
        'The address may point at another cluster, or something is in the middle; check both and use the token `docker swarm join-token worker` prints',
    );
  }
  const keys = await newKeyPair();
  const csr = await certificateRequest(keys);
  const { body: answer, addr: leader } = await call<JoinResponse>(addr, 'POST', JOIN_PATH, { token, csr, hostname, ...(as.manager && { manager: true }) }, tlsOptions({ ca: pinned }));
  const clusterId = identityOf(new X509Certificate(answer.certificate).subject).cluster;
  const id = { nodeId: answer.nodeId, clusterId, manager: leader, managers: [], joined: addr, cert: answer.certificate, key: await keyPem(keys.privateKey), rootCA: answer.rootCA || pinned };
  return as.manager ? { ...id, keys: answer.keys } : id;
}

/** renew asks for a certificate for a new key, authenticating with the current one. */
export async function renew(id: Identity): Promise<Identity> {
  const keys = await newKeyPair();
  const csr = await certificateRequest(keys);
  const { body: answer, addr } = await call<JoinResponse>(id.manager, 'POST', RENEW_PATH, { csr }, tlsOptions({ ca: id.rootCA, cert: id.cert, key: id.key, clusterId: id.clusterId }));
  return { ...id, manager: addr, cert: answer.certificate, key: await keyPem(keys.privateKey), rootCA: answer.rootCA || id.rootCA };
}

function safeDigest(certPem: string): string {
  try {
    return rootDigest(certPem);
  } catch {
    return 'unparseable';
  }
}

/** call sends the request to `addr`, following a follower's redirects to the leader; it gives the answer and who gave it. */
function call<T>(addr: string, method: string, path: string, body: unknown, tls: Record<string, unknown>, hops = 0): Promise<{ body: T; addr: string }> {
  const url = new URL(`https://${addr}${path}`);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method, timeout: TIMEOUT_MS, ...tls, headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {} },
      (res) => {
        if (res.statusCode === 307) {
          res.resume();
          const next = redirectTarget(res.headers.location, path);
          if (!next) return reject(new JoinError(`the manager at ${addr} redirected ${method} ${path} to ${JSON.stringify(res.headers.location)}, not to https://HOST:PORT${path}`));
          if (hops >= MAX_REDIRECTS) return reject(new JoinError(`the manager at ${addr} redirected ${method} ${path} once more after ${MAX_REDIRECTS} redirects; no leader answered`));
          return call<T>(next, method, path, body, tls, hops + 1).then(resolve, reject);
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_RESPONSE_BYTES) req.destroy(new JoinError(`the manager at ${addr} sent more than ${MAX_RESPONSE_BYTES} bytes`));
          else chunks.push(c);
        });
        res.on('end', () => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString());
          } catch {
            return reject(new JoinError(`the manager at ${addr} answered ${method} ${path} with ${res.statusCode} and no JSON`));
          }
          if (res.statusCode !== 200) {
            const message = (parsed as { message?: unknown })?.message;
            return reject(new JoinError(`the manager at ${addr} refused: ${typeof message === 'string' ? message : `status ${res.statusCode}`}`));
          }
          resolve({ body: parsed as T, addr });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new JoinError(`the manager at ${addr} did not answer within ${TIMEOUT_MS / 1000}s`)));
    req.on('error', (err) => reject(err instanceof JoinError ? err : new JoinError(`can't reach the manager at ${addr}: ${err.message}`)));
    req.end(payload);
  });
}
