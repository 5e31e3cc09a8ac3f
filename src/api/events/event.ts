// Swarm-scope events as dockerd makes them from the cluster store's watch (moby daemon/events.go,
// generateClusterEvent): one per changed service, node, secret, config or network, with
// `*.old`/`*.new` attribute pairs on updates; and Berth's task events, which the portal follows.

import type { Change } from '../../store/index.js';
import { nodeNames, taskName } from '../../store/index.js';
import type { Labels, Node, Service, Task } from '../../types/index.js';

export const EVENT_TYPES = ['config', 'network', 'node', 'secret', 'service', 'task'] as const;
export type EventType = (typeof EVENT_TYPES)[number];
export const EVENT_ACTIONS = ['create', 'update', 'remove'] as const;
export type EventAction = (typeof EVENT_ACTIONS)[number];

/** One event: the line a client receives, and what filters and team scope decide on. */
export interface ClusterEvent {
  type: EventType;
  action: EventAction;
  attributes: Readonly<Record<string, string>>;
  timeNano: bigint;
  /** Docker's events.Message as one JSON line. */
  line: string;
  /** The labels team scope decides on (a task: its service's); undefined for nodes, which every reader sees. */
  owner: Labels | undefined;
  /** What the `label` filter matches besides the attributes: the object's labels (a task: its service's). */
  labels: Labels;
  /** The IDs and names each object filter matches by prefix: the object's own, and a task's service and node. */
  refs: Partial<Record<EventType, string[]>>;
}

const ACTIONS = { create: 'create', update: 'update', delete: 'remove' } as const;

/**
 * toEvent gives the event of one stored change, or undefined for a kind that has none. A create
 * is dated by the object's CreatedAt, an update by its UpdatedAt (as Swarm's Meta), a removal by
 * `nowNano`; `namesOf` finds a task's node's names for the `node` filter.
 */
export function toEvent(change: Change, nowNano: bigint, namesOf: (nodeId: string) => string[]): ClusterEvent | undefined {
  const action = ACTIONS[change.action];
  const at = (meta: { CreatedAt: string; UpdatedAt: string }): bigint => (action === 'remove' ? nowNano : (isoNano(action === 'create' ? meta.CreatedAt : meta.UpdatedAt) ?? nowNano));
  switch (change.kind) {
    case 'service': {
      const s = change.object;
      const attributes = { name: s.Spec.Name ?? '', ...(action === 'update' && change.old && serviceChanges(change.old, s)) };
      return event('service', action, s.ID, attributes, at(s), s.Spec.Labels, { service: [s.ID, s.Spec.Name ?? ''] });
    }
    case 'node': {
      const n = change.object;
      const name = n.Spec.Name || n.Description.Hostname || '';
      const attributes = { name, ...(action === 'update' && change.old && nodeChanges(change.old, n)) };
      return { ...event('node', action, n.ID, attributes, at(n), n.Spec.Labels, { node: [n.ID, ...nodeNames(n)] }), owner: undefined };
    }
    case 'task': {
      const t = change.object;
      const node = t.NodeID ? [t.NodeID, ...namesOf(t.NodeID)] : undefined;
      const refs = { task: [t.ID, taskName(t)], service: [t.ServiceID, t.BerthService.Name], ...(node && { node }) };
      return event('task', action, t.ID, taskAttributes(t, action === 'update' ? change.old : undefined), at(t), t.BerthService.Labels, refs);
    }
    case 'secret':
    case 'config':
    case 'network': {
      const o = change.object;
      const name = o.Spec.Name ?? '';
      return event(change.kind, action, o.ID, { name }, at(o), o.Spec.Labels, { [change.kind]: [o.ID, name] });
    }
    default:
      return undefined;
  }
}

function event(type: EventType, action: EventAction, id: string, attributes: Record<string, string>, timeNano: bigint, labels: Labels | undefined, refs: ClusterEvent['refs']): ClusterEvent {
  // Go's encoder writes map keys sorted, and timeNano exceeds a double's integers: the line is written out here.
  const sorted = Object.fromEntries(Object.entries(attributes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const actor = JSON.stringify({ ID: id, Attributes: sorted });
  const line = `{"Type":"${type}","Action":"${action}","Actor":${actor},"scope":"swarm","time":${timeNano / 1_000_000_000n},"timeNano":${timeNano}}\n`;
  return { type, action, attributes: sorted, timeNano, line, owner: labels ?? {}, labels: labels ?? {}, refs };
}

/** What moby's logServiceEvent reports of an update: image, replicas and the update's state. */
function serviceChanges(old: Service, s: Service): Record<string, string> {
  const a: Record<string, string> = {};
  const image = s.Spec.TaskTemplate?.ContainerSpec?.Image;
  const oldImage = old.Spec.TaskTemplate?.ContainerSpec?.Image;
  if (image !== oldImage) Object.assign(a, { 'image.old': oldImage ?? '', 'image.new': image ?? '' });
  const replicas = s.Spec.Mode?.Replicated?.Replicas;
  const oldReplicas = old.Spec.Mode?.Replicated?.Replicas;
  if (replicas !== undefined && oldReplicas !== undefined && replicas !== oldReplicas) Object.assign(a, { 'replicas.old': String(oldReplicas), 'replicas.new': String(replicas) });
  const state = s.UpdateStatus?.State;
  const oldState = old.UpdateStatus?.State;
  if (state !== undefined && oldState === undefined) a['updatestate.new'] = state;
  else if (state !== undefined && state !== oldState) Object.assign(a, { 'updatestate.old': oldState!, 'updatestate.new': state });
  return a;
}

/** What moby's logNodeEvent reports of an update: availability, role, state, leadership and reachability. */
function nodeChanges(old: Node, n: Node): Record<string, string> {
  const a: Record<string, string> = {};
  const pair = (key: string, before: string | undefined, after: string | undefined): void => {
    if (before !== after) Object.assign(a, { [`${key}.old`]: before ?? '', [`${key}.new`]: after ?? '' });
  };
  pair('availability', old.Spec.Availability, n.Spec.Availability);
  pair('role', old.Spec.Role, n.Spec.Role);
  pair('state', old.Status.State, n.Status.State);
  if (n.ManagerStatus && old.ManagerStatus) {
    pair('leader', String(!!old.ManagerStatus.Leader), String(!!n.ManagerStatus.Leader));
    pair('reachability', old.ManagerStatus.Reachability, n.ManagerStatus.Reachability);
  }
  return a;
}

/** Berth's task attributes: the task, its service, node and slot, its states, and its error when it has one. */
function taskAttributes(t: Task, old: Task | undefined): Record<string, string> {
  return {
    name: taskName(t),
    'service.name': t.BerthService.Name,
    'service.id': t.ServiceID,
    ...(t.NodeID && { 'node.id': t.NodeID }),
    ...(t.Slot && { slot: String(t.Slot) }),
    state: t.Status.State,
    ...(old && old.Status.State !== t.Status.State && { 'state.old': old.Status.State, 'state.new': t.Status.State }),
    'desired-state': t.DesiredState,
    ...(t.Status.Err && { error: t.Status.Err }),
  };
}

/** isoNano reads an RFC 3339 time (as the store writes them, up to nanoseconds) as nanoseconds since the epoch. */
export function isoNano(iso: string): bigint | undefined {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(iso);
  const ms = m ? Date.parse(`${m[1]}${m[3]}`) : NaN;
  if (Number.isNaN(ms)) return undefined;
  return BigInt(ms) * 1_000_000n + BigInt((m![2] ?? '').padEnd(9, '0'));
}
