// Checks a TunnelView before any of it reaches a command line: addresses in their ranges, keys
// that are WireGuard keys, no peer twice. The view comes from the manager, but a field that is
// not what it claims to be must never become an argument of `ip` or `wg`.

import { isIPv4, isIPv6 } from 'node:net';
import { contains, parseCidr, parseIPv4 } from '../../common/subnets.js';
import { isWireGuardKey } from '../../common/wireguard-key.js';
import { InvalidArgumentError } from '../../types/errors.js';
import { TUNNEL_PORT, TUNNEL_SUBNET, type TunnelView } from '../../types/network-view.js';

const TUNNEL = parseCidr(TUNNEL_SUBNET)!;

function tunnelAddress(text: unknown, field: string): string {
  const ip = typeof text === 'string' ? parseIPv4(text) : undefined;
  // Not the subnet's own network or broadcast address: `<address>/16` must be a host's.
  if (ip === undefined || !contains(TUNNEL, ip) || ip === TUNNEL.base || ip === TUNNEL.base + 2 ** (32 - TUNNEL.bits) - 1) {
    throw new InvalidArgumentError(`tunnel view: ${field} ${JSON.stringify(text)} is not a host address in ${TUNNEL_SUBNET}`);
  }
  return text as string;
}

/** The endpoint as `wg show dump` prints it: IPv6 in brackets, compressed. */
function endpoint(node: unknown, field: string): string {
  if (typeof node === 'string' && isIPv4(node)) return `${node}:${TUNNEL_PORT}`;
  if (typeof node === 'string' && isIPv6(node)) return `${new URL(`http://[${node}]`).hostname}:${TUNNEL_PORT}`;
  throw new InvalidArgumentError(`tunnel view: ${field} ${JSON.stringify(node)} is not an IP address`);
}

export interface TunnelPeerConfig {
  publicKey: string;
  /** ADDRESS:PORT, as `wg` prints it. */
  endpoint: string;
  /** ADDRESS/32. */
  allowedIp: string;
}

export interface TunnelConfig {
  /** ADDRESS/16 on the interface. */
  address: string;
  peers: TunnelPeerConfig[];
}

/** tunnelConfig checks a view and turns it into what the interface must hold; InvalidArgumentError names the bad field. */
export function tunnelConfig(view: TunnelView, ownKey: string): TunnelConfig {
  const address = tunnelAddress(view?.address, 'address');
  if (!Array.isArray(view.peers)) throw new InvalidArgumentError('tunnel view: peers must be a list');
  const keys = new Set([ownKey]);
  const addresses = new Set([address]);
  const peers = view.peers.map((p, i) => {
    const at = `peers[${i}]`;
    if (!isWireGuardKey(p?.publicKey)) throw new InvalidArgumentError(`tunnel view: ${at}.publicKey is not a WireGuard key (base64 of 32 bytes)`);
    const peerAddress = tunnelAddress(p.address, `${at}.address`);
    if (keys.has(p.publicKey)) throw new InvalidArgumentError(`tunnel view: ${at}.publicKey is this node's or another peer's`);
    if (addresses.has(peerAddress)) throw new InvalidArgumentError(`tunnel view: ${at}.address ${peerAddress} is this node's or another peer's`);
    keys.add(p.publicKey);
    addresses.add(peerAddress);
    return { publicKey: p.publicKey, endpoint: endpoint(p.node, `${at}.node`), allowedIp: `${peerAddress}/32` };
  });
  return { address: `${address}/${TUNNEL.bits}`, peers };
}
