// The address other machines reach this manager's cluster port at, chosen as Swarm does:
// --advertise-addr, else a specific listen address, else the address of the interface that
// carries the default route, and loopback only when that is all there is.

import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { hostPort, isLoopback } from '../common/listen.js';
import { InvalidArgumentError } from '../types/index.js';

/** advertiseAddress gives HOST:PORT for the cluster port that listens on `listenHost`:`port`. */
export function advertiseAddress(given: string | undefined, listenHost: string, port: number): string {
  if (given) return withPort(given, port);
  if (listenHost && listenHost !== '0.0.0.0' && listenHost !== '::') return hostPort(listenHost, port);
  return hostPort(defaultRouteAddress() ?? '127.0.0.1', port);
}

function withPort(given: string, port: number): string {
  const m = /^(?:\[([^\]]+)\]|([^:\[\]]+))(?::(\d+))?$/.exec(given) ?? (isIP(given) === 6 ? [given, given, undefined, undefined] : null);
  const host = m?.[1] ?? m?.[2];
  const iface = host ? interfaceAddress(host) : undefined;
  if (!host || (!isIP(host) && !iface)) {
    throw new InvalidArgumentError(`invalid --advertise-addr "${given}": give an IP address or an interface name, optionally with :PORT (e.g. 192.168.1.10 or eth0)`);
  }
  return hostPort(iface ?? host, m?.[3] ? Number(m[3]) : port);
}

/** The first IPv4 address of the interface that carries the default IPv4 route. */
export function defaultRouteAddress(): string | undefined {
  let routes: string;
  try {
    routes = readFileSync('/proc/net/route', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of routes.split('\n').slice(1)) {
    const [iface, destination, , , , , , mask] = line.trim().split(/\s+/);
    if (iface && destination === '00000000' && mask === '00000000') {
      const addr = interfaceAddress(iface);
      if (addr && !isLoopback(addr)) return addr;
    }
  }
  return undefined;
}

function interfaceAddress(name: string): string | undefined {
  return networkInterfaces()[name]?.find((a) => a.family === 'IPv4')?.address;
}
