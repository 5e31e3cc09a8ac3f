// A network's devices on this node, planned from what the kernel shows: the bridge (the
// gateway's address and prefix, the node's own address and the VIPs as /32, MAC derived from
// the node's address, the view's MTU) and the VXLAN device enslaved to it, with a forwarding
// entry and a permanent neighbour per remote endpoint (the device answers ARP for them itself:
// `proxy`; nothing is learned or flooded). Each plan is a list of `ip -batch` / `bridge -batch`
// lines, empty when the kernel already agrees.

import { macForAddress } from '../../common/overlay-mac.js';
import { parseCidr } from '../../common/subnets.js';
import type { NodeNetworkView } from '../../types/network-view.js';
import { aliasFor, bridgeName, vxlanName } from './names.js';

/** One interface as `ip -j -d addr show` prints it (the fields used here). */
export interface KernelLink {
  ifname: string;
  ifalias?: string;
  mtu: number;
  address?: string;
  master?: string;
  flags?: string[];
  linkinfo?: { info_kind?: string; info_data?: { id?: number; local?: string; port?: number; learning?: boolean; proxy?: boolean } };
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

export interface FdbEntry {
  mac: string;
  dst?: string;
  flags?: string[];
  master?: string;
  state?: string;
}

export interface NeighEntry {
  dst: string;
  lladdr?: string;
  state?: string[];
}

/** The addresses the bridge holds, `a.b.c.d/n`. */
export function bridgeAddresses(v: NodeNetworkView): string[] {
  const prefix = parseCidr(v.subnet)!.bits;
  const wanted = new Map<string, number>([[v.gateway, prefix]]);
  for (const ip of [v.localAddress, ...v.services.map((s) => s.vip)]) if (ip && !wanted.has(ip)) wanted.set(ip, 32);
  return [...wanted].map(([ip, bits]) => `${ip}/${bits}`);
}

/** Where a network's VXLAN device sends from: its local address and UDP port. */
export interface Vtep {
  local: string;
  port: number;
}

function vxlanMatches(link: KernelLink, v: NodeNetworkView, vtep: Vtep): boolean {
  const d = link.linkinfo?.info_data;
  return link.linkinfo?.info_kind === 'vxlan' && d?.id === v.vni && d.local === vtep.local && d.port === vtep.port && d.learning !== true && d.proxy === true;
}

/**
 * planLinks: `ip -batch` lines making the bridge and VXLAN device right, and whether the bridge
 * is new to its addresses (the engine network must be created before they are added: Podman
 * refuses a subnet any address on the host is in).
 */
export function planLinks(v: NodeNetworkView, vtep: Vtep, links: ReadonlyMap<string, KernelLink>): string[] {
  const br = bridgeName(v.vni);
  const vx = vxlanName(v.vni);
  const alias = aliasFor(v.id);
  const mac = macForAddress(v.localAddress);
  const lines: string[] = [];
  const bridge = links.get(br);
  if (bridge && bridge.linkinfo?.info_kind !== 'bridge') throw new Error(`network ${v.id}: ${br} exists and is not a bridge; remove it`);
  if (!bridge) lines.push(`link add ${br} type bridge`);
  if (!bridge || bridge.address !== mac || bridge.mtu !== v.mtu || bridge.ifalias !== alias || !bridge.flags?.includes('UP')) {
    lines.push(`link set dev ${br} address ${mac} mtu ${v.mtu} alias ${alias} up`);
  }
  let vxlan = links.get(vx);
  if (vxlan && !vxlanMatches(vxlan, v, vtep)) {
    lines.push(`link del dev ${vx}`);
    vxlan = undefined;
  }
  if (!vxlan) lines.push(`link add ${vx} mtu ${v.mtu} type vxlan id ${v.vni} dstport ${vtep.port} local ${vtep.local} nolearning proxy`);
  if (!vxlan || vxlan.master !== br || vxlan.mtu !== v.mtu || vxlan.ifalias !== alias || !vxlan.flags?.includes('UP')) {
    lines.push(`link set dev ${vx} master ${br} mtu ${v.mtu} alias ${alias} up`);
  }
  return lines;
}

/** planAddresses: `ip -batch` lines adding the bridge's missing IPv4 addresses and deleting others. */
export function planAddresses(v: NodeNetworkView, bridge: KernelLink | undefined): string[] {
  const br = bridgeName(v.vni);
  const have = new Set((bridge?.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`));
  const want = bridgeAddresses(v);
  return [
    ...[...have].filter((a) => !want.includes(a)).map((a) => `address del ${a} dev ${br}`),
    ...want.filter((a) => !have.has(a)).map((a) => `address add ${a} dev ${br}`),
  ];
}

/** planForwarding: `bridge -batch` and `ip -batch` lines for the remote endpoints' FDB and neighbour entries. */
export function planForwarding(v: NodeNetworkView, fdb: readonly FdbEntry[], neigh: readonly NeighEntry[]): { bridge: string[]; ip: string[] } {
  const vx = vxlanName(v.vni);
  const peers = new Map(v.peers.map((p) => [p.ip, p]));
  const macs = new Map(v.peers.map((p) => [p.mac, p.node]));
  const bridge: string[] = [];
  const ip: string[] = [];
  // The VXLAN device's own entries (self): MAC → the remote node. Several peers may share a MAC
  // only if the view is wrong; the last wins.
  const remotes = new Map(fdb.filter((e) => e.dst && !e.master).map((e) => [e.mac, e.dst!]));
  for (const [mac, dst] of remotes) if (macs.get(mac) !== dst) bridge.push(`fdb del ${mac} dev ${vx} dst ${dst} self`);
  for (const [mac, node] of macs) if (remotes.get(mac) !== node) bridge.push(`fdb replace ${mac} dev ${vx} dst ${node} self permanent`);
  // The bridge's static entries: frames for a remote MAC go to the VXLAN port only, not flooded.
  const statics = new Set(fdb.filter((e) => e.master && e.state === 'static').map((e) => e.mac));
  for (const mac of statics) if (!macs.has(mac)) bridge.push(`fdb del ${mac} dev ${vx} master`);
  for (const mac of macs.keys()) if (!statics.has(mac)) bridge.push(`fdb replace ${mac} dev ${vx} master static`);
  const have = new Map(neigh.filter((n) => n.state?.includes('PERMANENT')).map((n) => [n.dst, n.lladdr]));
  for (const n of neigh) if (!peers.has(n.dst)) ip.push(`neigh del ${n.dst} dev ${vx}`);
  for (const [addr, p] of peers) if (have.get(addr) !== p.mac) ip.push(`neigh replace ${addr} lladdr ${p.mac} dev ${vx} nud permanent`);
  return { bridge, ip };
}
