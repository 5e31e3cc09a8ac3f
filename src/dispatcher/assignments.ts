// Which task changes a node's agent must hear about. An agent sees the tasks placed on its node
// from ASSIGNED on; it is told again only when something it acts on changes (desired state,
// spec), never for the status it reported itself.

import { isDeepStrictEqual } from 'node:util';
import { stateRank, type Task } from '../types/index.js';

export function visibleTo(t: Task | undefined, nodeId: string): t is Task {
  return !!t && t.NodeID === nodeId && stateRank(t.Status.State) >= stateRank('assigned');
}

export type AssignmentDelta = { kind: 'upsert'; task: Task } | { kind: 'remove'; id: string } | undefined;

/** deltaFor tells what, if anything, node `nodeId` must be sent for a change from old to now. */
export function deltaFor(nodeId: string, old: Task | undefined, now: Task | undefined): AssignmentDelta {
  const was = visibleTo(old, nodeId);
  const is = visibleTo(now, nodeId);
  if (!is) return was ? { kind: 'remove', id: old!.ID } : undefined;
  if (!was) return { kind: 'upsert', task: now! };
  const changed = old!.DesiredState !== now!.DesiredState || !isDeepStrictEqual(old!.Spec, now!.Spec);
  return changed ? { kind: 'upsert', task: now! } : undefined;
}
