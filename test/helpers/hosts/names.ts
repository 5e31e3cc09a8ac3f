// Names and places of everything the harness makes. All of it carries one prefix and a network's
// number, and a network's files live in one directory, so a crashed run's leftovers are found
// and removed by name without touching anything else on the machine.

import { join } from 'node:path';

const PREFIX = 'bhost';
export const BASE_DIR = '/tmp/berth-hosts';
/**
 * Network numbers: the third octet of the default subnet 10.213.N.0/24. The low ones are left to
 * tests that pick 10.213.x subnets of their own (agent-networks uses 10.213.7 and 10.213.9).
 */
export const FIRST_ID = 64;
export const LAST_ID = 254;

/** The bridge, and the nftables table that keeps the network's traffic on it. */
export const bridgeName = (id: number): string => `${PREFIX}${id}`;
/** A host's namespace, and the bridge side of its veth (at most 15 characters: bhost254-h9999). */
export const hostName = (id: number, host: string): string => `${PREFIX}${id}-${host}`;
export const netnsPath = (name: string): string => `/run/netns/${name}`;
export const networkDir = (id: number): string => join(BASE_DIR, String(id));

/** Parses a name the harness gives interfaces, namespaces and tables: bhost<N> or bhost<N>-h<K>. */
export function parseName(name: string): { id: number; host?: string } | undefined {
  const m = new RegExp(`^${PREFIX}(\\d+)(?:-(h\\d+))?$`).exec(name);
  return m ? { id: Number(m[1]), ...(m[2] ? { host: m[2] } : {}) } : undefined;
}

/** A /24 subnet's addresses: .1 is the bridge (the root namespace), host k (from 1) is .10+k. */
export interface Subnet {
  cidr: string;
  gateway: string;
  host(k: number): string;
}

export function subnet(cidr: string): Subnet {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.0\/24$/.exec(cidr);
  if (!m || m.slice(1).some((o) => Number(o) > 255)) throw new Error(`subnet ${cidr}: give an IPv4 /24 such as 10.213.100.0/24`);
  const base = `${m[1]}.${m[2]}.${m[3]}`;
  return { cidr, gateway: `${base}.1`, host: (k) => `${base}.${10 + k}` };
}

export const defaultSubnet = (id: number): string => `10.213.${id}.0/24`;

/** overlaps tells whether two IPv4 prefixes (a.b.c.d/len) share any address. */
export function overlaps(a: string, b: string): boolean {
  const parse = (cidr: string): [number, number] => {
    const [ip, len = '32'] = cidr.split('/');
    const n = ip!.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
    return [n, Number(len)];
  };
  const [na, la] = parse(a);
  const [nb, lb] = parse(b);
  const len = Math.min(la, lb);
  const block = 2 ** (32 - len);
  return Math.floor(na / block) === Math.floor(nb / block);
}

/** Where a host's engine keeps its configuration, storage, socket and log. */
export const engineDir = (id: number, host: string): string => join(networkDir(id), host, 'engine');
