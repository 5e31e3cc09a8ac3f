// Parsing and vetting the manager's listen address.

import { isIP } from 'node:net';
import { InvalidArgumentError } from '../types/index.js';

export interface ListenAddress {
  host: string;
  port: number;
}

export function parseListen(text: string): ListenAddress {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(text);
  const port = Number(m?.[3]);
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError(`invalid listen address "${text}": use HOST:PORT, e.g. 127.0.0.1:7420`);
  }
  return { host: m[1] ?? m[2] ?? '', port };
}

/** Until TLS arrives, the API (which can run any container) must not be reachable off this machine. */
export function assertLoopback(addr: ListenAddress): void {
  const h = addr.host;
  const loopback = h === 'localhost' || h === '::1' || (isIP(h) === 4 && h.startsWith('127.'));
  if (!loopback) {
    throw new InvalidArgumentError(
      `refusing to listen on ${h || '*'}:${addr.port} without TLS: anyone who reaches it could run containers on your nodes. ` +
        'Listen on a loopback address such as 127.0.0.1 (TLS and remote access arrive with the security work).',
    );
  }
}
