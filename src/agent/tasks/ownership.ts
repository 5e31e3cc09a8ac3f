// Which engine objects are this agent's. Several agents, of one cluster or of several, may share
// an engine: everything Berth makes is labelled with its cluster's id, and the agent lists,
// adopts, sweeps and prunes only what carries its cluster's label (and its node's, or one of its
// cluster's networks' ids).

/** The cluster label; the node, task, service and slot labels are in container-config.ts. */
export const LABEL_CLUSTER = 'berth.cluster.id';

/** Whose engine objects: the cluster and the node an agent runs as. */
export interface Owner {
  clusterId: string;
  nodeId: string;
}

/**
 * ownedBy: the object's cluster label is the owner's, or it has none. An object without one was
 * made by an earlier Berth, which did not label clusters: callers take it as the cluster's only
 * when it is also keyed by an id that only this cluster has (its node's, its network's).
 */
export function ownedBy(labels: Record<string, string> | undefined, clusterId: string): boolean {
  const label = labels?.[LABEL_CLUSTER];
  return label === undefined || label === clusterId;
}
