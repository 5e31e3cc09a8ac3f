// The cleartext guard: nothing that claims to be tunnel traffic may enter a node except through
// the tunnel. Encrypted networks' VXLAN (ENCRYPTED_VXLAN_PORT) is accepted only from the tunnel
// interface — the kernel would hand a cleartext packet sent to any of the node's addresses to
// the device with its VNI — and packets to or from TUNNEL_SUBNET only from the tunnel (WireGuard
// itself checks that a peer's packets come from its own tunnel address). The rules name no
// network, so they change only with the interface's name. Dropped in prerouting at raw
// priority: before conntrack, for delivered and forwarded packets alike.

import { ENCRYPTED_VXLAN_PORT, TUNNEL_SUBNET } from '../../types/network-view.js';
import { must, tool } from './tunnel-exec.js';

const TABLE = 'berth-tunnel';

/** The table as `nft list table` prints it (nftables 1.0), so a listing shows whether it differs. */
function ruleset(iface: string): string {
  return [
    `table inet ${TABLE} {`,
    '\tchain prerouting {',
    '\t\ttype filter hook prerouting priority raw; policy accept;',
    `\t\tiifname { "lo", "${iface}" } accept`,
    `\t\tip saddr ${TUNNEL_SUBNET} drop`,
    `\t\tip daddr ${TUNNEL_SUBNET} drop`,
    `\t\tudp dport ${ENCRYPTED_VXLAN_PORT} drop`,
    '\t}',
    '}',
  ].join('\n');
}

async function listed(): Promise<string | undefined> {
  const r = await tool('nft', ['list', 'table', 'inet', TABLE]);
  return r.code === 0 ? r.stdout.trim() : undefined;
}

/** ensureGuard replaces the table, in one transaction, unless it is already as wanted. */
export async function ensureGuard(iface: string): Promise<string[]> {
  const want = ruleset(iface);
  if ((await listed()) === want) return [];
  // Declaring the table first makes the delete succeed when it does not exist yet.
  await must('nft', ['-f', '-'], { input: `table inet ${TABLE}\ndelete table inet ${TABLE}\n${want}\n` });
  return [`nft table inet ${TABLE}`];
}

export async function removeGuard(): Promise<string[]> {
  if ((await listed()) === undefined) return [];
  await must('nft', ['delete', 'table', 'inet', TABLE]);
  return [`removed nft table inet ${TABLE}`];
}
