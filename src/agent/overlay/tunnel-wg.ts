// The interface's WireGuard settings against what it must hold: read with `wg show NAME dump`,
// changed with one `wg set` naming only what differs (the private key as its file, never on a
// command line). Persistent keepalive stays off: VXLAN traffic starts handshakes when there is
// something to send, and no node sits behind a NAT that would need keeping open.

import { TUNNEL_PORT } from '../../types/network-view.js';
import type { TunnelKeys } from './tunnel-keys.js';
import { must } from './tunnel-exec.js';
import type { TunnelPeerConfig } from './tunnel-view.js';

interface PeerState {
  endpoint: string;
  allowedIps: string;
  keepalive: string;
}

interface WgState {
  publicKey: string;
  listenPort: string;
  peers: Map<string, PeerState>;
}

/** wgState parses `wg show NAME dump`: the interface's line, then one per peer. */
export async function wgState(name: string): Promise<WgState> {
  const [iface = '', ...peerLines] = (await must('wg', ['show', name, 'dump'])).trim().split('\n');
  const [, publicKey = '', listenPort = ''] = iface.split('\t');
  const peers = new Map<string, PeerState>();
  for (const line of peerLines) {
    const [key = '', , endpoint = '', allowedIps = '', , , , keepalive = ''] = line.split('\t');
    peers.set(key, { endpoint, allowedIps, keepalive });
  }
  return { publicKey, listenPort, peers };
}

/** configureWg brings the interface's key, port and peers to what is wanted; it says what it changed. */
export async function configureWg(name: string, keys: TunnelKeys, peers: readonly TunnelPeerConfig[]): Promise<string[]> {
  const state = await wgState(name);
  const args: string[] = [];
  const changes: string[] = [];
  if (state.publicKey !== keys.publicKey) {
    args.push('private-key', keys.file);
    changes.push('private key');
  }
  if (state.listenPort !== String(TUNNEL_PORT)) {
    args.push('listen-port', String(TUNNEL_PORT));
    changes.push(`listen port ${TUNNEL_PORT}`);
  }
  const wanted = new Set(peers.map((p) => p.publicKey));
  for (const key of state.peers.keys()) {
    if (wanted.has(key)) continue;
    args.push('peer', key, 'remove');
    changes.push(`removed peer ${key}`);
  }
  for (const p of peers) {
    const now = state.peers.get(p.publicKey);
    if (now && now.endpoint === p.endpoint && now.allowedIps === p.allowedIp && now.keepalive === 'off') continue;
    args.push('peer', p.publicKey, 'endpoint', p.endpoint, 'allowed-ips', p.allowedIp, 'persistent-keepalive', 'off');
    changes.push(`${now ? 'updated' : 'added'} peer ${p.publicKey} (${p.allowedIp} at ${p.endpoint})`);
  }
  if (args.length > 0) await must('wg', ['set', name, ...args]);
  return changes;
}
