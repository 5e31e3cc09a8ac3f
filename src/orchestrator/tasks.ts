// Helpers the orchestrators share: making tasks, telling which nodes can run them, and the
// desired-state writes (the manager's field) every loop performs the same way.

import { isDeepStrictEqual } from 'node:util';
import { newId } from '../common/ids.js';
import { now } from '../common/time.js';
import { stateRank, type Node, type Service, type Task, type TaskState } from '../types/index.js';
import type { Tx } from '../store/index.js';

export interface NewTaskOptions {
  slot: number;
  nodeId?: string;
  /** When set, the task is created desired READY and promoted to RUNNING at this time. */
  restartAt?: number;
}

export function newTask(svc: Service, opts: NewTaskOptions): Task {
  const delayed = opts.restartAt !== undefined && opts.restartAt > Date.now();
  return {
    ID: newId(),
    Version: { Index: 0 },
    CreatedAt: '',
    UpdatedAt: '',
    Spec: svc.Spec.TaskTemplate ?? {},
    ServiceID: svc.ID,
    Slot: opts.slot,
    NodeID: opts.nodeId ?? '',
    Status: { Timestamp: now(), State: 'new', Message: 'created' },
    DesiredState: delayed ? 'ready' : 'running',
    SpecVersion: { Index: svc.BerthSpecVersion },
    BerthService: { Name: svc.Spec.Name ?? '', Labels: svc.Spec.Labels ?? {}, Endpoint: svc.Spec.EndpointSpec },
    ...(delayed ? { BerthRestartAt: new Date(opts.restartAt!).toISOString() } : {}),
  };
}

/** A runnable task is one the manager still wants to run (desired state READY or RUNNING). */
export function isRunnable(t: Task): boolean {
  return stateRank(t.DesiredState) <= stateRank('running');
}

/** A node can keep running tasks unless it is gone, down or drained. */
export function nodeCanRun(node: Node | undefined): boolean {
  return !!node && node.Status.State !== 'down' && node.Spec.Availability !== 'drain';
}

/** setDesired moves a task's desired state forward; it never moves it back. */
export function setDesired(tx: Tx, t: Task, desired: TaskState): void {
  if (stateRank(desired) <= stateRank(t.DesiredState)) return;
  tx.tasks.update({ ...t, DesiredState: desired });
}

/** isStale tells whether a task was made from an older service spec. */
export function isStale(t: Task, svc: Service): boolean {
  return (t.SpecVersion?.Index ?? 0) !== svc.BerthSpecVersion;
}

/**
 * specChanged tells whether a stale task differs in what it runs. A spec change that does not
 * touch the task template (replicas, service labels) must not restart anything: the task is
 * just marked current.
 */
export function specChanged(t: Task, svc: Service): boolean {
  return (
    !sameValue(t.Spec, svc.Spec.TaskTemplate) ||
    !sameValue(t.BerthService.Endpoint, svc.Spec.EndpointSpec) ||
    !sameValue(t.BerthService.Labels, svc.Spec.Labels)
  );
}

/**
 * sameValue compares specs as Swarm does (protobuf equality): a field set to its zero value
 * (0, '', false, null, [] or {}) equals an absent one. Clients round-trip specs with zero
 * values filled in, and that must not restart anything.
 */
export function sameValue(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(pruneZero(a), pruneZero(b));
}

function pruneZero(v: unknown): unknown {
  if (Array.isArray(v)) return v.length === 0 ? undefined : v.map((x) => pruneZero(x) ?? null);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const p = pruneZero(x);
      if (p !== undefined) out[k] = p;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  return v === 0 || v === '' || v === false || v === null ? undefined : v;
}

/** markCurrent records that an unchanged task already matches the service's current spec. */
export function markCurrent(tx: Tx, t: Task, svc: Service): void {
  tx.tasks.update({ ...t, SpecVersion: { Index: svc.BerthSpecVersion }, BerthService: { ...t.BerthService, Name: svc.Spec.Name ?? '' } });
}
