// The load balancer's nftables table (`ip berth`): what it should hold for a set of network views,
// what the kernel holds, and the one `nft -f -` batch from the second to the first. Incremental
// as kube-proxy's nftables mode learned it must be: a chain per service VIP and per ingress port
// (flushed and refilled only when its content changes, known by a hash in its rules' comment),
// and elements added to or deleted from maps keyed by address or protocol/port. The table is
// written whole only when it is missing or of another layout.
//
// Packet paths (docs/networking.md):
// - VIP: prerouting (and output) `ip daddr vmap @vip_dnat` → chain `svc-<vni>-<service>`: DNAT
//   to a random backend, same port. A VIP with no backend keeps its address, which is local (on
//   the bridge): the input chain answers TCP with a reset and the rest with ICMP unreachable.
// - Ingress port: prerouting (from outside) and output (the host itself) on a local address,
//   `meta l4proto . th dport vmap @ingress` → chain `ing-<proto>-<port>`: DNAT to a random
//   backend's target port. Policy `local` with local backends: only those, and the connection
//   is marked so it is not SNATed (the task sees the client's address; its reply comes back
//   through this host, its gateway, where conntrack undoes the DNAT).
// - postrouting: DNATed connections leaving on an overlay bridge are SNATed to the node's
//   address on it (`@snat_addr`), so replies come back through the node that chose the backend.
// - forward: an internal network's bridge forwards only to itself (the engine network is not
//   internal on Podman, see src/agent/tasks/networks.ts, so this is what keeps it in).
// - input: Berth's resolver answers on each network's gateway, port 53; a query for a gateway
//   that did not come in on that network's bridge (another host, another network) is dropped,
//   so the resolver can be neither queried nor used as a reflector from outside the network.

import { createHash } from 'node:crypto';
import type { NodeNetworkView } from '../../types/network-view.js';
import { bridgeName } from './names.js';

export const TABLE = 'berth';
/** Marks the skeleton's layout: a table with another mark is replaced whole. */
const LAYOUT = 'berth-lb 3';
/** Connection mark bit: an ingress connection sent to a local task without SNAT (policy local). */
const KEEP_CLIENT = '0x00800000';
const SERVICE_CHAIN = /^(svc|ing)-/;
const INTERNAL_CHAIN = 'internal';

const SKELETON = `table ip ${TABLE} {
  map vip_dnat { type ipv4_addr : verdict; }
  map ingress { type inet_proto . inet_service : verdict; }
  map snat_addr { type ifname : ipv4_addr; }
  set vips { type ipv4_addr; }
  set resolvers { type ipv4_addr; }
  set resolver_paths { type ipv4_addr . ifname; }
  chain prerouting {
    type nat hook prerouting priority dstnat - 10; policy accept;
    ip daddr vmap @vip_dnat comment "${LAYOUT}"
    fib daddr type local meta l4proto . th dport vmap @ingress
  }
  chain output {
    type nat hook output priority -110; policy accept;
    ip daddr vmap @vip_dnat
    fib daddr type local meta l4proto . th dport vmap @ingress
  }
  chain postrouting {
    type nat hook postrouting priority srcnat - 10; policy accept;
    ct status dnat ct mark & ${KEEP_CLIENT} == 0 snat ip to oifname map @snat_addr
  }
  chain input {
    type filter hook input priority filter - 10; policy accept;
    iifname != "lo" ip daddr 127.0.0.0/8 ct status & dnat == 0 drop
    ip daddr @vips meta l4proto tcp reject with tcp reset
    ip daddr @vips reject
    meta l4proto { tcp, udp } th dport 53 ip daddr @resolvers iifname != "lo" ip daddr . iifname != @resolver_paths drop
  }
  chain forward {
    type filter hook forward priority filter - 10; policy accept;
    jump ${INTERNAL_CHAIN}
  }
  chain ${INTERNAL_CHAIN} {
  }
}
`;

/** The table's content this module manages, desired or found in the kernel. */
export interface Ruleset {
  /** Whether the table exists with this layout (found only). */
  skeleton: boolean;
  /** Chain name → its rules (desired) or the hash found in their comment ('' when empty). */
  chains: Map<string, string[] | string>;
  vipDnat: Map<string, string>;
  ingress: Map<string, string>;
  snat: Map<string, string>;
  vips: Set<string>;
  /** Gateway addresses, where the resolver listens. */
  resolvers: Set<string>;
  /** `GATEWAY . "BRIDGE"`: the one interface a gateway's queries may come in on. */
  resolverPaths: Set<string>;
}

const emptyRuleset = (skeleton: boolean): Ruleset => ({
  skeleton,
  chains: new Map(),
  vipDnat: new Map(),
  ingress: new Map(),
  snat: new Map(),
  vips: new Set(),
  resolvers: new Set(),
  resolverPaths: new Set(),
});
const resolverPath = (gateway: string, bridge: string): string => `${gateway} . "${bridge}"`;

const portKey = (protocol: string, port: number): string => `${protocol} . ${port}`;

/** DNAT to one of the addresses at random, to the port given or the same port. */
function dnatRule(addresses: string[], port?: number): string {
  if (addresses.length === 1) return `dnat ip to ${addresses[0]}${port ? `:${port}` : ''}`;
  const targets = addresses.map((a, i) => `${i} : ${a}${port ? ` . ${port}` : ''}`);
  return `dnat ip to numgen random mod ${addresses.length} map { ${targets.join(', ')} }`;
}

/** desiredRuleset: what the table holds for these (validated) views. */
export function desiredRuleset(views: readonly NodeNetworkView[]): Ruleset {
  const r = emptyRuleset(true);
  const internal: string[] = [];
  for (const v of views) {
    const bridge = bridgeName(v.vni);
    r.snat.set(bridge, v.localAddress);
    r.resolvers.add(v.gateway);
    r.resolverPaths.add(resolverPath(v.gateway, bridge));
    // Refused at once (the containers have a default route: the engine network is not internal).
    if (v.internal) internal.push(`iifname "${bridge}" oifname != "${bridge}" reject with icmp type admin-prohibited`, `oifname "${bridge}" iifname != "${bridge}" drop`);
    const remote = new Set(v.peers.map((p) => p.ip));
    for (const s of v.services) {
      const backends = [...new Set(s.backends)].sort();
      if (s.vip) {
        const chain = `svc-${v.vni}-${s.id}`;
        r.vips.add(s.vip);
        r.vipDnat.set(s.vip, chain);
        r.chains.set(chain, backends.length ? [dnatRule(backends)] : []);
      }
      if (!v.ingress) continue;
      const local = backends.filter((b) => !remote.has(b));
      for (const p of s.ports) {
        const chain = `ing-${p.protocol}-${p.published}`;
        r.ingress.set(portKey(p.protocol, p.published), chain);
        // The protocol match lets nft rewrite the port (the vmap key already matched it).
        const rules: string[] = [];
        if (s.ingressPolicy === 'local' && local.length) rules.push(`meta l4proto ${p.protocol} ct mark set ct mark or ${KEEP_CLIENT} ${dnatRule(local, p.target)}`);
        else if (backends.length) rules.push(`meta l4proto ${p.protocol} ${dnatRule(backends, p.target)}`);
        r.chains.set(chain, rules);
      }
    }
  }
  r.chains.set(INTERNAL_CHAIN, internal);
  return r;
}

const hashOf = (rules: string[]): string => (rules.length ? createHash('sha256').update(rules.join('\n')).digest('hex').slice(0, 16) : '');

type NftObject = Record<string, { name?: string; chain?: string; comment?: string; elem?: unknown[] } | undefined>;

/** parseRuleset reads `nft -j list table ip berth` (undefined: no table). */
export function parseRuleset(listing: { nftables?: NftObject[] } | undefined): Ruleset {
  const r = emptyRuleset(false);
  for (const o of listing?.nftables ?? []) {
    if (o.chain?.name && (SERVICE_CHAIN.test(o.chain.name) || o.chain.name === INTERNAL_CHAIN)) r.chains.set(o.chain.name, '');
    if (o.rule?.chain === 'prerouting' && o.rule.comment === LAYOUT) r.skeleton = true;
    if (o.rule?.chain && r.chains.has(o.rule.chain) && o.rule.comment) r.chains.set(o.rule.chain, o.rule.comment);
    const elems = (o.map ?? o.set)?.elem ?? [];
    const name = (o.map ?? o.set)?.name;
    for (const e of elems) {
      if (name === 'vips' && typeof e === 'string') r.vips.add(e);
      if (name === 'resolvers' && typeof e === 'string') r.resolvers.add(e);
      const pair = (e as { concat?: unknown[] } | undefined)?.concat;
      if (name === 'resolver_paths' && pair) r.resolverPaths.add(resolverPath(String(pair[0]), String(pair[1])));
      if (!Array.isArray(e)) continue;
      const [key, value] = e as [unknown, unknown];
      const target = (value as { goto?: { target?: string } } | undefined)?.goto?.target;
      if (name === 'vip_dnat' && typeof key === 'string' && target) r.vipDnat.set(key, target);
      const concat = (key as { concat?: unknown[] } | undefined)?.concat;
      if (name === 'ingress' && concat && target) r.ingress.set(portKey(String(concat[0]), Number(concat[1])), target);
      if (name === 'snat_addr' && typeof key === 'string' && typeof value === 'string') r.snat.set(key, value);
    }
  }
  return r;
}

/** appliedForm: what parseRuleset would read back once `want` is in the kernel. */
export function appliedForm(want: Ruleset): Ruleset {
  return { ...want, skeleton: true, chains: new Map([...want.chains].map(([chain, rules]) => [chain, hashOf(rules as string[])])) };
}

/** rulesetBatch: the `nft -f -` input that turns `found` into `want`; empty when they agree. */
export function rulesetBatch(want: Ruleset, found: Ruleset): string {
  const lines: string[] = [];
  if (!found.skeleton) {
    // Absent, or another layout: one atomic replacement (the table is only ever Berth's).
    if (found.chains.size || found.vipDnat.size || found.snat.size || found.vips.size) lines.push(`delete table ip ${TABLE}`);
    lines.push(SKELETON);
    found = parseRuleset(undefined);
    found.chains.set(INTERNAL_CHAIN, '');
  }
  const t = `ip ${TABLE}`;
  for (const [chain, rules] of want.chains) {
    const hash = hashOf(rules as string[]);
    if (found.chains.get(chain) === hash) continue;
    lines.push(found.chains.has(chain) ? `flush chain ${t} ${chain}` : `add chain ${t} ${chain}`);
    for (const rule of rules as string[]) lines.push(`add rule ${t} ${chain} ${rule} comment "${hash}"`);
  }
  const elements = <V>(set: string, wantMap: Map<string, V>, foundMap: Map<string, V>, show: (k: string, v: V) => string): void => {
    const del = [...foundMap].filter(([k, v]) => wantMap.get(k) !== v).map(([k, v]) => show(k, v));
    const add = [...wantMap].filter(([k, v]) => foundMap.get(k) !== v).map(([k, v]) => show(k, v));
    if (del.length) lines.push(`delete element ${t} ${set} { ${del.join(', ')} }`);
    if (add.length) lines.push(`add element ${t} ${set} { ${add.join(', ')} }`);
  };
  elements('vip_dnat', want.vipDnat, found.vipDnat, (k, v) => `${k} : goto ${v}`);
  elements('ingress', want.ingress, found.ingress, (k, v) => `${k} : goto ${v}`);
  elements('snat_addr', want.snat, found.snat, (k, v) => `"${k}" : ${v}`);
  const asMap = (s: Set<string>): Map<string, true> => new Map([...s].map((k) => [k, true]));
  elements('vips', asMap(want.vips), asMap(found.vips), (k) => k);
  elements('resolvers', asMap(want.resolvers), asMap(found.resolvers), (k) => k);
  elements('resolver_paths', asMap(want.resolverPaths), asMap(found.resolverPaths), (k) => k);
  // Chains last: nothing refers to them any more.
  for (const chain of found.chains.keys()) if (!want.chains.has(chain)) lines.push(`delete chain ${t} ${chain}`);
  return lines.join('\n');
}
