// Connections that reached the TLS API port in plain HTTP from this machine (the portal at
// http://127.0.0.1:7420/ui/ after `berth up`): they carry no certificate, so they are served as
// a client without one — a token or session, else 401 — never as the unix socket's root or an
// --insecure-api port's anyone.

import type { Socket } from 'node:net';

const plain = new WeakSet<Socket>();

export function markPlainLoopback(socket: Socket): void {
  plain.add(socket);
}

export function isPlainLoopback(socket: Socket): boolean {
  return plain.has(socket);
}
