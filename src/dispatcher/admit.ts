// Admitting an agent's session. The TLS layer has verified the agent's certificate against the
// cluster's root CA; here the certificate's subject must name this cluster and a node that still
// exists (a removed node is refused even while its certificate is valid). The hello then
// refreshes what the node reports about itself: its description, engine labels and tunnel key,
// never its spec (node labels are the managers' to set, as in Swarm).

import type { CertIdentity } from '../common/pki.js';
import { isWireGuardKey } from '../common/wireguard-key.js';
import type { Store } from '../store/index.js';
import type { Node, SessionErrorCode } from '../types/index.js';
import { description, labels } from './validate.js';

export class SessionRefused extends Error {
  constructor(
    readonly code: SessionErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function admit(store: Store, peer: CertIdentity, hello: Record<string, unknown>, remote: string): Node {
  const reported = description(hello.description);
  // What an agent is started with (`--label`) describes its engine: it can't attract tasks
  // pinned by node.labels, or their secrets.
  const engineLabels = { ...reported.Engine?.Labels, ...labels(hello.labels) };
  const tunnelKey = isWireGuardKey(hello.tunnelKey) ? hello.tunnelKey : undefined;
  return store.update((tx) => {
    const cluster = tx.cluster();
    if (!cluster || peer.cluster !== cluster.ID) throw new SessionRefused('unauthorized', `the node certificate is for cluster ${peer.cluster}, not this one`);
    const known = tx.nodes.get(peer.commonName);
    if (!known) {
      throw new SessionRefused('unknown-node', `node ${peer.commonName} was removed from the cluster: its certificate is no longer accepted; to join again, delete the agent's certificates and run the join command`);
    }
    return tx.nodes.update({
      ...known,
      Description: { ...reported, Engine: { ...reported.Engine, Labels: engineLabels }, TLSInfo: known.Description.TLSInfo },
      Status: { State: 'ready', Message: '', Addr: remote },
      ...(tunnelKey && { BerthTunnelKey: tunnelKey }),
    });
  });
}

