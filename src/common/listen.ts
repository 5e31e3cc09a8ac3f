// HOST:PORT listen addresses, shared by the servers Berth runs (manager API, registry).

import { isIP } from 'node:net';
import { InvalidArgumentError } from '../types/index.js';

export interface ListenAddress {
  host: string;
  port: number;
}

export function parseListen(text: string, example = '127.0.0.1:7420'): ListenAddress {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(text);
  const port = Number(m?.[3]);
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError(`invalid listen address "${text}": use HOST:PORT, e.g. ${example}`);
  }
  return { host: m[1] ?? m[2] ?? '', port };
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

/** The URL form of a listening server's address (IPv6 hosts in brackets). */
export function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** A HOST:PORT as peers name each other: a DNS name or IPv4 address, or a bracketed IPv6 address, and a port. */
const HOST_PORT = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\]):\d{1,5}$/i;

export function isHostPort(text: unknown): text is string {
  return typeof text === 'string' && HOST_PORT.test(text);
}
