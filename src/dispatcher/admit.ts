// Admitting an agent's hello. A known node must present its secret (a wrong one is refused,
// never re-minted as a new node: its containers would be orphaned). A new node presents the
// worker join token, or — only for `berth up`'s own agent — the manager's per-process local
// token, which makes it the manager's node.

import { newId } from '../common/ids.js';
import type { Store } from '../store/index.js';
import type { Node, SessionErrorCode } from '../types/index.js';
import { hashSecret, newSecret, sameSecret, sameToken } from './auth.js';
import { description, labels } from './validate.js';

export class SessionRefused extends Error {
  constructor(
    readonly code: SessionErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface Admitted {
  node: Node;
  /** Set when the node joined just now: the agent keeps it. */
  secret?: string;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.length <= 4096 ? v : undefined);

export function admit(store: Store, hello: Record<string, unknown>, remote: string, opts: { localToken?: string; managerAddr: string }): Admitted {
  const nodeId = text(hello.nodeId);
  const secret = text(hello.secret);
  const token = text(hello.joinToken);
  const status = { State: 'ready' as const, Message: '', Addr: text(hello.addr) || remote };
  const desc = description(hello.description);
  return store.update((tx) => {
    const known = nodeId ? tx.nodes.get(nodeId) : undefined;
    if (known) {
      if (secret && sameSecret(secret, known.BerthSecretHash)) return { node: tx.nodes.update({ ...known, Description: desc, Status: status }) };
      throw new SessionRefused('unauthorized', `node ${nodeId} presented a wrong secret; restore the agent's state dir or remove the node and join again`);
    }
    const cluster = tx.cluster();
    const local = sameToken(token, opts.localToken);
    if (!local && sameToken(token, cluster?.JoinTokens.Manager)) {
      throw new SessionRefused('unauthorized', 'joining as a manager is not supported yet: Berth runs a single manager; join with the worker token');
    }
    if (!local && !sameToken(token, cluster?.JoinTokens.Worker)) {
      if (nodeId) throw new SessionRefused('unknown-node', `node ${nodeId} is not part of this cluster (it was removed); join again with a join token`);
      throw new SessionRefused('unauthorized', 'invalid join token');
    }
    const fresh = newSecret();
    const node = tx.nodes.create({
      ID: newId(),
      Version: { Index: 0 },
      CreatedAt: '',
      UpdatedAt: '',
      Spec: { Role: local ? 'manager' : 'worker', Availability: 'active', Labels: labels(hello.labels) },
      Description: desc,
      Status: status,
      BerthSecretHash: hashSecret(fresh),
      ...(local ? { ManagerStatus: { Leader: true, Reachability: 'reachable' as const, Addr: opts.managerAddr } } : {}),
    });
    return { node, secret: fresh };
  });
}
