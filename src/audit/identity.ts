// Who made a request, as the audit log names them: the name in the client certificate the TLS
// API verified, root on the manager's unix socket (only root may open it), anonymous on an
// --insecure-api port. A follower passes its client's identity on to the leader in a header,
// which the leader believes only from a manager's certificate.

import type { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';
import { OU_CLIENT, OU_MANAGER } from '../common/pki.js';
import { peerIdentity, remoteIp } from '../common/peer.js';
import type { AuditAuth } from './kinds.js';

export const FORWARDED_IDENTITY_HEADER = 'berth-forwarded-identity';

export interface Identity {
  User: string;
  Auth: AuditAuth;
  Source: string;
}

/** What a forwarded identity may claim (a registry token never comes through the API). */
const AUTHS: readonly AuditAuth[] = ['certificate', 'unix-socket', 'insecure-api'];

/** identify names the caller of a request that reached this manager directly. */
export function identify(request: FastifyRequest): Identity {
  const socket = request.raw.socket as TLSSocket;
  if (socket.encrypted) {
    const peer = peerIdentity(socket, [OU_CLIENT, OU_MANAGER]);
    return { User: peer?.commonName ?? 'unknown', Auth: 'certificate', Source: remoteIp(socket.remoteAddress) };
  }
  if (socket.remoteAddress === undefined) return { User: 'root', Auth: 'unix-socket', Source: 'local' };
  return { User: 'anonymous', Auth: 'insecure-api', Source: remoteIp(socket.remoteAddress) };
}

/** callerOf is who the log names: the forwarded client when a manager sent the request on, else the peer itself. */
export function callerOf(request: FastifyRequest): Identity {
  const direct = identify(request);
  const socket = request.raw.socket as TLSSocket;
  const fromManager = socket.encrypted && peerIdentity(socket, [OU_MANAGER]) !== undefined;
  const header = request.headers[FORWARDED_IDENTITY_HEADER];
  // Without TLS (all-plain trials on loopback) nothing proves a manager sent it: the peer is named.
  if (typeof header !== 'string' || !fromManager) return direct;
  const forwarded = parse(header);
  return forwarded ?? direct;
}

function parse(text: string): Identity | undefined {
  try {
    const v = JSON.parse(Buffer.from(text, 'base64').toString('utf8')) as Partial<Identity>;
    if (typeof v.User !== 'string' || typeof v.Source !== 'string' || !AUTHS.includes(v.Auth as AuditAuth)) return undefined;
    return { User: v.User.slice(0, 256), Auth: v.Auth as AuditAuth, Source: v.Source.slice(0, 64) };
  } catch {
    return undefined;
  }
}

/** forwardedIdentity is the header value a follower adds to a request it sends to the leader. */
export function forwardedIdentity(request: FastifyRequest): string {
  return Buffer.from(JSON.stringify(callerOf(request))).toString('base64');
}
