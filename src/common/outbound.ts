// The guard on outbound HTTP requests that a user-settable URL causes (registry webhooks,
// replication endpoints, and the token realms and redirects those send the client to); see
// docs/outbound.md. A target is refused when it resolves to a loopback, link-local (169.254/16
// holds the cloud metadata service), cloud metadata, unspecified, multicast or broadcast address,
// or is one of the cluster's own listeners; private ranges stay allowed, since internal
// registries and receivers live there.
// Requests resolve the name, check every address, and connect only to the checked addresses
// (a pinned `lookup`), so a name that resolves elsewhere by the time of the request (DNS
// rebinding) is caught where it matters.

import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { networkInterfaces } from 'node:os';
import { ForbiddenError, InvalidArgumentError } from '../types/index.js';

/** A server of this cluster (the registry itself, the manager API), never a target. */
export interface OwnListener {
  /** How refusals name it: "this registry", "the manager API". */
  name: string;
  /** As it listens: an address, a name, or "", "0.0.0.0" or "::" for every address. */
  host: string;
  port: number;
}

export interface OutboundOptions {
  /** Address ranges an administrator allows despite the guard (`--allow-outbound CIDR`). */
  allow?: string[];
  /** The cluster's own listeners, refused even inside an allowed range (a function: ports are known once listening). */
  listeners?: () => OwnListener[];
}

/** What a record shows for a request that got no HTTP answer, whatever the reason (see docs/outbound.md). */
export const CONNECTION_FAILED = "connection failed: no HTTP answer (the registry's log has the reason)";

/** Thrown when a target is refused; the message names the address and how to allow it. */
export class OutboundRefusedError extends ForbiddenError {}

type Family = 'ipv4' | 'ipv6';
const family = (ip: string): Family => (isIP(ip) === 6 ? 'ipv6' : 'ipv4');
/** An IPv6 address without its zone (`fe80::1%eth0`). */
const bare = (ip: string): string => ip.replace(/%.*$/, '');

const LOOPBACK = blockList([['127.0.0.0', 8], ['::1', 128]]);
const UNSPECIFIED = blockList([['0.0.0.0', 8], ['::', 128]]);
/** The refused kinds of address. IPv4-mapped IPv6 forms (::ffff:127.0.0.1) match their IPv4 range. */
const REFUSED: Array<[kind: string, list: BlockList]> = [
  ['a loopback address', LOOPBACK],
  ['a link-local address', blockList([['169.254.0.0', 16], ['fe80::', 10]])],
  // Outside link-local: AWS's IPv6 instance metadata and Alibaba Cloud's.
  ['a cloud metadata address', blockList([['fd00:ec2::254', 128], ['100.100.100.200', 32]])],
  ['an unspecified address', UNSPECIFIED],
  ['a multicast or broadcast address', blockList([['224.0.0.0', 4], ['255.255.255.255', 32], ['ff00::', 8]])],
];

function blockList(ranges: Array<[string, number]>): BlockList {
  const list = new BlockList();
  for (const [net, bits] of ranges) list.addSubnet(net, bits, family(net));
  return list;
}

/** parseRange reads an `--allow-outbound` value: an IPv4 or IPv6 CIDR, or one address. */
export function parseRange(text: string): [string, number] {
  const [ip = '', bitsText, extra] = text.trim().split('/');
  const max = isIP(ip) === 6 ? 128 : 32;
  const bits = bitsText === undefined ? max : Number(bitsText);
  if (!isIP(ip) || extra !== undefined || !/^\d{1,3}$/.test(bitsText ?? String(max)) || bits > max) {
    throw new InvalidArgumentError(`invalid --allow-outbound "${text}": give an address range such as 127.0.0.1/32, 127.0.0.0/8 or ::1/128`);
  }
  return [ip, bits];
}

const sameAddress = (a: string, b: string): boolean => blockList([[bare(a), isIP(bare(a)) === 6 ? 128 : 32]]).check(bare(b), family(bare(b)));

async function resolveAll(host: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => dnsLookup(host, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))));
}

export class OutboundGuard {
  readonly #allow: BlockList;
  readonly #listeners: () => OwnListener[];

  constructor(opts: OutboundOptions = {}) {
    this.#allow = blockList((opts.allow ?? []).map(parseRange));
    this.#listeners = opts.listeners ?? (() => []);
  }

  /**
   * check is for when a URL is set: a refused target is a 400 naming `field`. A name that does
   * not resolve now is accepted (each request checks again).
   */
  async check(url: string | URL, field: string): Promise<void> {
    const parsed = new URL(url);
    try {
      await this.pin(parsed);
    } catch (err) {
      if (err instanceof OutboundRefusedError) throw new InvalidArgumentError(`${field} ${String(url)} is refused: ${err.message}`);
      // Otherwise the name did not resolve.
    }
  }

  /**
   * pin resolves the URL's host and checks every address; the `lookup` it returns gives the
   * connection exactly those addresses (an IP literal is connected to as written: checked here).
   * Throws OutboundRefusedError, or the resolver's error.
   */
  async pin(url: URL): Promise<{ lookup: LookupFunction }> {
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
    const addresses: LookupAddress[] = isIP(host) ? [{ address: host, family: isIP(host) }] : await resolveAll(host);
    for (const a of addresses) {
      const why = await this.#refusal(a.address, port);
      if (why) throw new OutboundRefusedError(why);
    }
    const lookup = (_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void): void => {
      if (options.all) callback(null, addresses);
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    };
    return { lookup: lookup as unknown as LookupFunction };
  }

  /** #refusal says why `ip`:`port` may not be a target, or undefined when it may. */
  async #refusal(ip: string, port: number): Promise<string | undefined> {
    const own = await this.#ownListener(ip, port);
    if (own) return `${ip.includes(':') ? `[${ip}]` : ip}:${port} is ${own.name}, which outbound requests never reach`;
    const type = family(bare(ip));
    if (this.#allow.check(bare(ip), type)) return undefined;
    const kind = REFUSED.find(([, list]) => list.check(bare(ip), type))?.[0];
    if (!kind) return undefined;
    return `${ip} is ${kind}; an administrator can allow it with --allow-outbound ${bare(ip)}/${type === 'ipv6' ? 128 : 32} (berth registry, berth up)`;
  }

  async #ownListener(ip: string, port: number): Promise<OwnListener | undefined> {
    const target = bare(ip);
    const type = family(target);
    for (const l of this.#listeners()) {
      if (l.port !== port) continue;
      // An unspecified address connects to this host; a wildcard listener answers on every local address.
      if (UNSPECIFIED.check(target, type)) return l;
      if (l.host === '' || l.host === '0.0.0.0' || l.host === '::') {
        if (LOOPBACK.check(target, type) || localAddresses().some((a) => sameAddress(a, target))) return l;
        continue;
      }
      const hosts = isIP(l.host) ? [l.host] : (await resolveAll(l.host).catch(() => [])).map((a) => a.address);
      if (hosts.some((h) => sameAddress(h, target))) return l;
    }
    return undefined;
  }
}

function localAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address));
}
