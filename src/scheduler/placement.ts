// The placement decision, as a pure function: given a snapshot of the nodes and the tasks to
// place, choose a node per task or say why none fits. No I/O, no store, inputs never mutated.
//
// Tasks are grouped by service and spec version, so the filters run once per group per node,
// not once per task. A group's feasible nodes then go into a spread tree of heaps; each task
// takes the top node, and only that node is re-checked (its load is the only one that changed).
// Tasks with a preset node (global services) are checked against that node alone, first, as
// Swarm does. Every task placed counts against its node for the rest of the batch.

import type { Task } from '../types/index.js';
import type { NodeInfo } from './node-info.js';
import { explain, NO_NODES, REASON_COUNT } from './reasons.js';
import { groupKey, requirementsOf, type Requirements } from './requirements.js';
import { SpreadTree } from './spread-tree.js';
import { FITS, Workspace } from './workspace.js';

export interface PlacementResult {
  /** task ID -> node ID, for every task that was placed. */
  assignments: Map<string, string>;
  /** task ID -> why no node could take it (the text for Status.Err). */
  unplaced: Map<string, string>;
}

interface Group {
  req: Requirements;
  tasks: Task[];
}

/** placeTasks decides where each task goes. Tasks with NodeID set are only checked against that node. */
export function placeTasks(nodes: Iterable<NodeInfo>, tasks: Iterable<Task>): PlacementResult {
  const ws = new Workspace(nodes);
  const result: PlacementResult = { assignments: new Map(), unplaced: new Map() };
  const groups = new Map<string, Group>();
  const preset: [Task, Requirements][] = [];
  for (const t of tasks) {
    const key = groupKey(t);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { req: requirementsOf(t), tasks: [] }));
    if (t.NodeID) preset.push([t, g.req]);
    else g.tasks.push(t);
  }
  for (const [t, req] of preset) placePreset(ws, t, req, result);
  for (const g of groups.values()) if (g.tasks.length > 0) placeGroup(ws, g, result);
  return result;
}

function placePreset(ws: Workspace, t: Task, req: Requirements, result: PlacementResult): void {
  if (req.invalid) {
    result.unplaced.set(t.ID, req.invalid);
    return;
  }
  const i = ws.indexOf(t.NodeID!);
  if (i === undefined) {
    result.unplaced.set(t.ID, `no suitable node (node ${t.NodeID} is not in the cluster)`);
    return;
  }
  const reason = ws.check(i, req, ws.serviceCount(i, req.serviceId));
  if (reason === FITS) {
    ws.place(i, req);
    result.assignments.set(t.ID, t.NodeID!);
    return;
  }
  const counts = new Int32Array(REASON_COUNT);
  counts[reason]!++;
  result.unplaced.set(t.ID, explain(counts));
}

function placeGroup(ws: Workspace, g: Group, result: PlacementResult): void {
  const { req, tasks } = g;
  const fail = (from: number, reason: string): void => {
    for (let k = from; k < tasks.length; k++) result.unplaced.set(tasks[k]!.ID, reason);
  };
  if (req.invalid) return fail(0, req.invalid);
  if (ws.size === 0) return fail(0, NO_NODES);

  const svc = ws.serviceCounts(req.serviceId);
  const feasible = new Uint8Array(ws.size);
  for (let i = 0; i < ws.size; i++) if (ws.check(i, req, svc[i]!) === FITS) feasible[i] = 1;
  const tree = new SpreadTree(ws, req.spread, feasible, svc);

  let k = 0;
  for (; k < tasks.length && !tree.empty; k++) {
    const i = tree.best();
    ws.place(i, req);
    svc[i]!++;
    tree.placed(ws.checkDynamic(i, req, svc[i]!) === FITS);
    result.assignments.set(tasks[k]!.ID, ws.infos[i]!.node.ID);
  }
  if (k === tasks.length) return;
  // Explain with the load as it is now: nodes that filled up during this batch say why.
  const counts = new Int32Array(REASON_COUNT);
  for (let i = 0; i < ws.size; i++) {
    const reason = ws.check(i, req, svc[i]!);
    if (reason !== FITS) counts[reason]!++;
  }
  fail(k, explain(counts));
}
