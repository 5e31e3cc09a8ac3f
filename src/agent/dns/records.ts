// What the resolver knows, precomputed from the manager's network views each time they change,
// so that a query is a few map lookups and never a scan: per network, its names and reverse
// entries; per querying container (network it asks on, source address), the networks it sees.
// Pure. Semantics follow moby's libnetwork (sandbox_dns_unix.go, network.go, resolver.go).

import { contains, parseCidr, parseIPv4, type Cidr } from '../../common/subnets.js';
import type { NodeNetworkView } from '../../types/network-view.js';

/** moby's `respTTL`: what Docker gives every answer. We keep it for VIPs, task names and PTRs, which last as long as what they name. */
export const STABLE_TTL = 600;
/** Task lists (`tasks.NAME`, dnsrr services) change with every task that starts or ends: short, so caching clients follow. */
export const LIST_TTL = 5;

/** A container on this node: its address on each overlay network, in attachment order (the first is where its DNS points). */
export type LocalContainer = readonly { networkId: string; ip: string }[];

export interface NameRecord {
  ips: readonly string[];
  ttl: number;
  /** A task list: answered in random order, as Swarm does, so clients spread over it. */
  shuffle: boolean;
}

export interface NetworkRecords {
  id: string;
  /** Lower case: `NAME.NETWORK` queries look networks up by it. */
  name: string;
  subnet: Cidr;
  internal: boolean;
  ingress: boolean;
  /** Lower-case name → addresses. */
  names: ReadonlyMap<string, NameRecord>;
  /** Task address → `<task name>.<network name>` (moby's ResolveIP). */
  pointers: ReadonlyMap<number, string>;
}

/** What one querying container sees. */
export interface Audience {
  /** Its networks in attachment order, ingress last (user networks' VIPs win, as in Swarm). */
  networks: readonly NetworkRecords[];
  byName: ReadonlyMap<string, NetworkRecords>;
  /** Names we do not own go to the host's nameservers only if one of its networks has a way out (moby ≥ 26: not for internal-only containers). */
  forward: boolean;
}

export type Lookup =
  | { kind: 'addresses'; record: NameRecord }
  | { kind: 'pointer'; target: string }
  /** A reverse name in a visible subnet that no task holds: ours to deny, not to forward. */
  | { kind: 'nxdomain' };

export interface Zone {
  networks: ReadonlyMap<string, NetworkRecords>;
  /** The audience of a query from `source` arriving on network `networkId`; undefined when that network is not in the view. */
  audience(networkId: string, source: number): Audience | undefined;
}

export function normalizeName(name: string): string {
  const lower = name.toLowerCase();
  return lower.length > 1 && lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

export function buildZone(views: readonly NodeNetworkView[], local: readonly LocalContainer[]): Zone {
  const networks = new Map<string, NetworkRecords>();
  for (const view of views) {
    const records = networkRecords(view);
    if (records) networks.set(view.id, records);
  }
  const defaults = new Map<string, Audience>();
  for (const n of networks.values()) defaults.set(n.id, audienceOf([n]));

  const known = new Map<string, Map<number, Audience>>();
  for (const container of local) {
    const attached = container.flatMap((e) => networks.get(e.networkId) ?? []);
    if (attached.length === 0) continue;
    const audience = audienceOf(attached);
    for (const e of container) {
      const ip = parseIPv4(e.ip);
      if (ip === undefined || !networks.has(e.networkId)) continue;
      let byIp = known.get(e.networkId);
      if (!byIp) known.set(e.networkId, (byIp = new Map()));
      byIp.set(ip, audience);
    }
  }
  return {
    networks,
    audience: (networkId, source) => known.get(networkId)?.get(source) ?? defaults.get(networkId),
  };
}

function networkRecords(view: NodeNetworkView): NetworkRecords | undefined {
  const subnet = parseCidr(view.subnet);
  if (!subnet) return undefined;
  const names = new Map<string, { ips: Set<string>; ttl: number; shuffle: boolean }>();
  // Several sources may give one name (an alias equal to another service's name): Swarm answers the union.
  const add = (name: string, ips: readonly string[], ttl: number, shuffle: boolean): void => {
    const key = normalizeName(name);
    const entry = names.get(key);
    if (!entry) {
      names.set(key, { ips: new Set(ips), ttl, shuffle });
      return;
    }
    for (const ip of ips) entry.ips.add(ip);
    entry.ttl = Math.min(entry.ttl, ttl);
    entry.shuffle ||= shuffle;
  };
  for (const service of view.services) {
    for (const name of [service.name, ...service.aliases]) {
      if (service.vip) add(name, [service.vip], STABLE_TTL, false);
      else add(name, service.backends, LIST_TTL, true);
      add(`tasks.${name}`, service.backends, LIST_TTL, true);
    }
  }
  const pointers = new Map<number, string>();
  for (const task of view.tasks) {
    add(task.name, [task.ip], STABLE_TTL, false);
    const ip = parseIPv4(task.ip);
    if (ip !== undefined) pointers.set(ip, `${task.name}.${view.name}`);
  }
  // Plain containers answer to their names across hosts, as Swarm's attachable networks do.
  for (const container of view.containers) {
    add(container.name, [container.ip], STABLE_TTL, false);
    const ip = parseIPv4(container.ip);
    if (ip !== undefined) pointers.set(ip, `${container.name}.${view.name}`);
  }
  return {
    id: view.id,
    name: view.name.toLowerCase(),
    subnet,
    internal: view.internal,
    ingress: view.ingress,
    names: new Map([...names].map(([k, v]) => [k, { ips: [...v.ips], ttl: v.ttl, shuffle: v.shuffle }])),
    pointers,
  };
}

function audienceOf(attached: readonly NetworkRecords[]): Audience {
  const networks = [...attached.filter((n) => !n.ingress), ...attached.filter((n) => n.ingress)];
  return {
    networks,
    byName: new Map(networks.map((n) => [n.name, n])),
    forward: networks.some((n) => !n.internal),
  };
}

/** lookup answers from what the audience sees; undefined when the name is not ours (forward it). */
export function lookup(audience: Audience, queryName: string): Lookup | undefined {
  const name = normalizeName(queryName);
  const reverse = reverseIPv4(name);
  if (reverse !== undefined) {
    for (const n of audience.networks) {
      const target = n.pointers.get(reverse);
      if (target) return { kind: 'pointer', target };
    }
    return audience.networks.some((n) => contains(n.subnet, reverse)) ? { kind: 'nxdomain' } : undefined;
  }
  for (const n of audience.networks) {
    const record = n.names.get(name);
    if (record) return { kind: 'addresses', record };
  }
  // `NAME.NETWORK`, as Docker: a.b.c is tried as a.b in network c, then a in network b.c.
  for (let dot = name.indexOf('.'); dot > 0; dot = name.indexOf('.', dot + 1)) {
    const record = audience.byName.get(name.slice(dot + 1))?.names.get(name.slice(0, dot));
    if (record) return { kind: 'addresses', record };
  }
  return undefined;
}

/** `d.c.b.a.in-addr.arpa` → a.b.c.d as a number. */
function reverseIPv4(name: string): number | undefined {
  const suffix = '.in-addr.arpa';
  if (!name.endsWith(suffix)) return undefined;
  return parseIPv4(name.slice(0, -suffix.length).split('.').reverse().join('.'));
}
