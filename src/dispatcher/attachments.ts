// Plain containers on attachable networks, as an agent reports them (AttachmentsMessage). The
// agent is remote input: an entry is kept only when it names an attachable network, an address
// inside the block the allocator gave that node (so no node can claim a task's, a VIP's or
// another node's address) and a unicast MAC that is not one Berth derives for another address.

import { macForAddress } from '../common/overlay-mac.js';
import { contains, parseCidr, parseIPv4 } from '../common/subnets.js';
import type { ReadTx } from '../store/index.js';
import { MAX_ATTACHMENTS_PER_NETWORK, type Node, type NodeAttachment } from '../types/index.js';
import { isObj } from './validate.js';

const CONTAINER_ID = /^[0-9a-f]{64}$/;
/** Docker's container name rule (validContainerNamePattern), and a length a DNS name can carry. */
const CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** The entries worth keeping, in a stable order, and how many were dropped; undefined when the message is not a list at all. */
export function acceptAttachments(tx: ReadTx, node: Node, raw: unknown): { kept: NodeAttachment[]; dropped: number } | undefined {
  if (!Array.isArray(raw)) return undefined;
  const ranges = node.BerthAttachableRanges ?? {};
  const limit = MAX_ATTACHMENTS_PER_NETWORK * Object.keys(ranges).length;
  const kept: NodeAttachment[] = [];
  const seen = new Set<string>();
  let dropped = 0;
  for (const e of raw.slice(0, limit)) {
    const a = entry(tx, ranges, e);
    const keys = a && [`${a.NetworkID}|${a.Address}`, `${a.NetworkID}|${a.MacAddress}`, `${a.NetworkID}|${a.ContainerID}`];
    if (!a || !keys || keys.some((k) => seen.has(k))) {
      dropped++;
      continue;
    }
    for (const k of keys) seen.add(k);
    kept.push(a);
  }
  dropped += Math.max(0, raw.length - limit);
  kept.sort((a, b) => (a.NetworkID + a.Address < b.NetworkID + b.Address ? -1 : 1));
  return { kept, dropped };
}

function entry(tx: ReadTx, ranges: Record<string, string>, e: unknown): NodeAttachment | undefined {
  if (!isObj(e)) return undefined;
  const { networkId, containerId, name, ip, mac } = e;
  if (typeof networkId !== 'string' || typeof containerId !== 'string' || typeof name !== 'string' || typeof ip !== 'string' || typeof mac !== 'string') return undefined;
  const block = ranges[networkId] ? parseCidr(ranges[networkId]) : undefined;
  const address = parseIPv4(ip);
  if (!block || address === undefined || !contains(block, address) || !tx.networks.get(networkId)?.Spec.Attachable) return undefined;
  if (!CONTAINER_ID.test(containerId) || !CONTAINER_NAME.test(name) || !MAC.test(mac)) return undefined;
  // Multicast and all-zero MACs are no endpoint's; 02:42:… is Berth's derived MAC of one address.
  if (Number.parseInt(mac.slice(0, 2), 16) & 1 || mac === '00:00:00:00:00:00') return undefined;
  if (mac.startsWith('02:42:') && mac !== macForAddress(ip)) return undefined;
  return { NetworkID: networkId, ContainerID: containerId, Name: name, Address: ip, MacAddress: mac };
}
