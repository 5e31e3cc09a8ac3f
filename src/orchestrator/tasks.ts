// Helpers the orchestrators share: making tasks, telling which nodes can run them, the
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
  /** When set, the task is created desired READY and promoted once this task has stopped. */
  startAfter?: string;
  /** For job services: the job iteration the task runs for. */
  jobIteration?: number;
}

export function newTask(svc: Service, opts: NewTaskOptions): Task {
  const delayed = opts.restartAt !== undefined && opts.restartAt > Date.now();
  const held = delayed || opts.startAfter !== undefined;
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
    DesiredState: held ? 'ready' : 'running',
    SpecVersion: { Index: svc.BerthSpecVersion },
    BerthService: serviceSummary(svc),
    ...(delayed ? { BerthRestartAt: new Date(opts.restartAt!).toISOString() } : {}),
    ...(opts.startAfter !== undefined ? { BerthStartAfter: opts.startAfter } : {}),
    ...(opts.jobIteration !== undefined ? { JobIteration: { Index: opts.jobIteration } } : {}),
  };
}

function serviceSummary(svc: Service): Task['BerthService'] {
  return { Name: svc.Spec.Name ?? '', Labels: svc.Spec.Labels ?? {}, Endpoint: svc.Spec.EndpointSpec };
}

/** Job tasks carry their job iteration; they belong to the jobs orchestrator. */
export const isJobTask = (t: Task): boolean => t.JobIteration !== undefined;
/** Replicated tasks have slots 1..N; global tasks have slot 0 and are keyed by node. */
export const isGlobalTask = (t: Task): boolean => (t.Slot ?? 0) === 0 && !isJobTask(t);
export const isReplicatedTask = (t: Task): boolean => (t.Slot ?? 0) > 0 && !isJobTask(t);

/**
 * slotKey names the place a task holds: its slot, or its node for a global service. Job slots
 * count from 0, so a job's slot 0 is told apart by node too (global jobs all use slot 0).
 */
export function slotKey(t: Task): string {
  if (isJobTask(t)) return t.Slot ? `${t.ServiceID}/job/${t.Slot}` : `${t.ServiceID}/job/0/${t.NodeID ?? ''}`;
  return (t.Slot ?? 0) === 0 ? `${t.ServiceID}/node/${t.NodeID ?? ''}` : `${t.ServiceID}/${t.Slot}`;
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
 * specChanged tells whether a stale task differs in what it runs (task template or endpoint),
 * as Swarm's IsTaskDirty. Other spec changes (replicas, service labels) restart nothing: the
 * task is just marked current.
 */
export function specChanged(t: Task, svc: Service): boolean {
  return !sameValue(t.Spec, svc.Spec.TaskTemplate) || !sameValue(t.BerthService.Endpoint, svc.Spec.EndpointSpec);
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
  tx.tasks.update({ ...t, SpecVersion: { Index: svc.BerthSpecVersion }, BerthService: serviceSummary(svc) });
}
