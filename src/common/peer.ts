// Who is on the other end of a TLS connection, as its verified certificate says.

import type { TLSSocket } from 'node:tls';
import { identityOf, type CertIdentity } from './pki.js';

/** peerIdentity is the identity of a peer whose certificate verified and whose role is one of `roles`; else undefined. */
export function peerIdentity(socket: TLSSocket, roles: readonly string[]): CertIdentity | undefined {
  if (!socket.authorized || typeof socket.getPeerX509Certificate !== 'function') return undefined;
  const cert = socket.getPeerX509Certificate();
  const peer = cert ? identityOf(cert.subject) : undefined;
  return peer && roles.includes(peer.role) && peer.commonName ? peer : undefined;
}

/** The peer's IP as nodes show it (no IPv4-mapped IPv6 prefix). */
export function remoteIp(addr: string | undefined): string {
  return (addr ?? '').replace(/^::ffff:/, '');
}
