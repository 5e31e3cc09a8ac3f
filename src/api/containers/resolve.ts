// Which task container a reference names, and where it runs: the one place the container and
// exec routes resolve a container, among those the caller may see (their teams' services').
// As dockerd resolves a container: full ID, then name, then a unique ID prefix. A name is the
// engine's (`web.1.<task>`) or the manager's (`NODE/web.1.<task>`), with or without the leading
// slash. Only tasks' containers exist here: a plain container on a node's engine does not.

import type { Visible } from '../../common/request-scope.js';
import type { ReadTx } from '../../store/index.js';
import { AmbiguousError, NotFoundError, type ContainerPlace, type Task } from '../../types/index.js';
import { taskName } from '../../store/index.js';

export function resolveContainer(tx: ReadTx, ref: string, visible: Visible = () => true): ContainerPlace {
  const input = ref.replace(/^\//, '');
  // What the caller may not see is not there: not found, never ambiguous with it.
  const places = tx.tasks
    .list()
    .filter((t): t is Task & { NodeID: string } => !!t.Status.ContainerStatus?.ContainerID && !!t.NodeID && visible(t.BerthService.Labels))
    .map((t) => place(tx, t));
  const found =
    places.find((p) => p.containerId === input) ??
    places.find((p) => p.name === input || `${p.node}/${p.name}` === input);
  if (found) return found;
  const prefixed = input ? places.filter((p) => p.containerId.startsWith(input)) : [];
  if (prefixed.length === 0) throw new NotFoundError(`No such container: ${ref}`);
  if (prefixed.length > 1) throw new AmbiguousError(`multiple IDs found with provided prefix: ${ref}`);
  return prefixed[0]!;
}

/** The hostname a node's containers are named with through the manager (its ID while it has none). */
export function nodeName(tx: ReadTx, nodeId: string): string {
  return tx.nodes.get(nodeId)?.Description.Hostname || nodeId;
}

function place(tx: ReadTx, t: Task & { NodeID: string }): ContainerPlace {
  return {
    containerId: t.Status.ContainerStatus!.ContainerID!,
    nodeId: t.NodeID,
    node: nodeName(tx, t.NodeID),
    taskId: t.ID,
    serviceId: t.ServiceID,
    name: taskName(t),
  };
}
