// A manager on etcd is a node of the cluster even without an agent, as Swarm's managers are:
// `docker node ls` lists it as a manager (Leader, Reachable, Unreachable), drained so nothing is
// scheduled on a machine with no engine Berth drives. The first manager makes its node when it
// first leads; a manager that joins with the manager token is given one by the CA. Its ID is kept
// in the data dir; its address is what it registers in etcd, recorded by whichever manager leads.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../common/files.js';
import { newId } from '../common/ids.js';
import type { Change, Store } from '../store/index.js';

const NODE_ID_FILE = 'node-id';

/** managerNodeId is this manager's node ID: the one its data dir names, or a new one (kept once its node is saved). */
export function managerNodeId(dataDir: string): string {
  const path = join(dataDir, NODE_ID_FILE);
  return existsSync(path) ? readFileSync(path, 'utf8').trim() : newId();
}

export function hasManagerNode(dataDir: string): boolean {
  return existsSync(join(dataDir, NODE_ID_FILE));
}

export function saveManagerNodeId(dataDir: string, id: string): void {
  writeFileAtomic(join(dataDir, NODE_ID_FILE), id + '\n', 0o600);
}

/** ensureManagerNode creates the leading manager's own node if it has none (the first manager). */
export function ensureManagerNode(store: Store, self: { id: string; hostname: string; clusterAddr: string }): void {
  store.update((tx) => {
    if (tx.nodes.get(self.id)) return;
    tx.nodes.create({
      ID: self.id,
      Version: { Index: 0 },
      CreatedAt: '',
      UpdatedAt: '',
      Spec: { Role: 'manager', Availability: 'drain', Labels: {} },
      Description: { Hostname: self.hostname },
      Status: { State: 'unknown', Message: 'a manager with no agent', Addr: self.clusterAddr.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1') },
      ManagerStatus: { Leader: false, Reachability: 'unknown', Addr: self.clusterAddr },
      BerthManagerOnly: true,
    });
  });
}

/** recordManagerAddrs keeps each manager node's ManagerStatus.Addr equal to the address it registered (leader only). */
export function recordManagerAddrs(store: Store, registered: Iterable<{ nodeId?: string; clusterAddr: string }>): void {
  store.update((tx) => {
    for (const m of registered) {
      const node = m.nodeId ? tx.nodes.get(m.nodeId) : undefined;
      if (!node?.BerthManagerOnly || node.ManagerStatus?.Addr === m.clusterAddr) continue;
      tx.nodes.update({ ...node, ManagerStatus: { ...node.ManagerStatus, Addr: m.clusterAddr } });
    }
  });
}

/**
 * untilRetired resolves once this manager's node is demoted (`docker node demote`) or removed,
 * with which, or with undefined once `signal` aborts. It waits until etcd holds that commit: a
 * demoted leader that stopped first would revoke the lease that fences its own demotion.
 */
export async function untilRetired(store: Store, id: string, signal: AbortSignal): Promise<'demoted' | 'removed' | undefined> {
  const [node, watcher] = store.viewAndWatch((tx) => tx.nodes.get(id));
  const close = (): void => watcher.close();
  signal.addEventListener('abort', close, { once: true });
  try {
    // Restarted after its demotion: it stops again at once.
    if (node && node.Spec.Role !== 'manager') return 'demoted';
    for (let commit = await watcher.next(); commit; commit = await watcher.next()) {
      const change = commit.changes.find((c): c is Extract<Change, { kind: 'node' }> => c.kind === 'node' && c.object.ID === id);
      const how = !change ? undefined : change.action === 'delete' ? 'removed' : change.object.Spec.Role !== 'manager' ? 'demoted' : undefined;
      if (!how) continue;
      // Not durable: it was undone (this manager lost the lead), and the undo arrives as a commit.
      if (await store.durable(commit.index).then(() => true, () => false)) return how;
    }
    return undefined;
  } finally {
    signal.removeEventListener('abort', close);
    close();
  }
}
