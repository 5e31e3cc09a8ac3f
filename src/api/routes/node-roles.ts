// Swarm's rules for changing a manager's role or removing it (swarmkit controlapi/node.go), in
// Berth's terms: with one manager (SQLite) roles never change; with several (etcd), a manager is
// a `berth manager` process whose node is demoted like Swarm's, never an agent that changes role.
// Reachable means what Swarm's raft transport would tell: the manager's lease in etcd is alive.

import { InvalidArgumentError } from '../../types/index.js';
import type { Node, NodeRole } from '../../types/index.js';
import type { ManagerView } from '../server.js';

const JOIN_HINT = "`berth manager --join <a manager's cluster address> --token <manager token> --store etcd://...` (`docker swarm join-token manager` prints the address and token)";

/** checkRoleChange refuses a promotion or demotion Swarm (or Berth) would not make. */
export function checkRoleChange(nodes: Node[], node: Node, role: NodeRole | undefined, managers: ManagerView | undefined): void {
  const current = node.Spec.Role ?? 'worker';
  if (role === undefined || role === current) return;
  const name = node.Description.Hostname || node.ID;
  if (!managers) {
    if (role === 'manager') throw new InvalidArgumentError(`can't promote node ${name} to manager: this cluster keeps its state in SQLite, which serves a single manager; several managers share etcd (docs/ha.md)`);
    throw new InvalidArgumentError(`can't demote node ${name}: it is the manager, and this cluster (on SQLite) has a single manager`);
  }
  if (role === 'manager') {
    // A demoted manager's process has stopped, and its data dir names a node that is now a worker.
    if (node.BerthManagerOnly) {
      throw new InvalidArgumentError(`can't promote node ${name} back to manager: its manager stopped when it was demoted. Remove it (\`docker node rm ${name}\`), then on that machine run ${JOIN_HINT} with an empty --data-dir`);
    }
    throw new InvalidArgumentError(`can't promote node ${name} to manager: a Berth manager is a process of its own, not a role an agent takes. On that machine, run ${JOIN_HINT}`);
  }
  const reachable = (n: Node): boolean => managers.reachable.has(n.ManagerStatus?.Addr ?? '');
  const others = nodes.filter((n) => n.Spec.Role === 'manager' && n.ID !== node.ID);
  const othersReachable = others.filter(reachable).length;
  if (othersReachable === 0) throw new InvalidArgumentError('attempting to demote the last manager of the swarm');
  // swarmkit's CanRemoveMember: the managers left must keep a majority of themselves reachable.
  if (othersReachable < Math.floor(others.length / 2) + 1) {
    throw new InvalidArgumentError("can't remove member from the raft: this would result in a loss of quorum");
  }
}

/** checkManagerRemoval refuses to remove a manager: Swarm's rule, --force or not. */
export function checkManagerRemoval(node: Node, managers: ManagerView | undefined): void {
  if (node.Spec.Role !== 'manager') return;
  if (!managers) throw new InvalidArgumentError(`node ${node.Description.Hostname || node.ID} is a cluster manager and can't be removed: this cluster (on SQLite) has a single manager`);
  throw new InvalidArgumentError(`node ${node.ID} is a cluster manager and is a member of the raft cluster. It must be demoted to worker before removal`);
}

/** evenManagersWarning is what a manager logs when a role change leaves an even number of managers (Swarm's CLI says nothing). */
export function evenManagersWarning(nodes: Node[]): string | undefined {
  const n = nodes.filter((x) => x.Spec.Role === 'manager').length;
  return n > 0 && n % 2 === 0 ? `${n} managers: an even number tolerates no more failures than ${n - 1}` : undefined;
}
