// What a task asks of a node, read once per group of identical tasks: reservations, parsed
// constraints, platforms, host-mode ports, replicas-per-node limit and spread preferences.

import { parseConstraints, type Constraint } from '../common/constraints.js';
import { normaliseArch } from '../common/platform.js';
import type { Task } from '../types/index.js';
import { taskHostPorts, type HostPort } from './node-info.js';

export interface PlatformReq {
  os: string;
  /** Normalised (src/common/platform.ts), so it compares with a node's normalised arch as a string. */
  arch: string;
}

/** One spread level: which label's values the tasks are spread evenly across. */
export interface SpreadLevel {
  source: 'node' | 'engine';
  label: string;
}

export interface Requirements {
  serviceId: string;
  nanoCPUs: number;
  memoryBytes: number;
  constraints: Constraint[];
  /** Empty means any platform. */
  platforms: PlatformReq[];
  hostPorts: HostPort[];
  /** 0 means no limit. */
  maxReplicas: number;
  spread: SpreadLevel[];
  /** Equal for specs whose node-only filters (constraints, platforms) answer alike on every node. */
  staticKey: string;
  /** Set when the spec can never be placed as written (an unparsable constraint); the text says why. */
  invalid?: string;
}

/**
 * groupKey identifies tasks that place alike. Tasks of one service made from one spec version
 * share their spec (the orchestrator re-stamps a version only onto an unchanged spec); without
 * a version, the fields placement reads are the key.
 */
export function groupKey(t: Task): string {
  if (t.SpecVersion) return `${t.ServiceID}@${t.SpecVersion.Index}`;
  const placementFields = [t.Spec.Placement, t.Spec.Resources?.Reservations, t.BerthService.Endpoint?.Ports];
  return `${t.ServiceID}#${JSON.stringify(placementFields)}`;
}

export function requirementsOf(t: Task): Requirements {
  const placement = t.Spec.Placement;
  const reservations = t.Spec.Resources?.Reservations;
  const platforms = (placement?.Platforms ?? []).map((p) => ({ os: (p.OS ?? '').toLowerCase(), arch: normaliseArch(p.Architecture) }));
  const req: Requirements = {
    serviceId: t.ServiceID,
    nanoCPUs: reservations?.NanoCPUs ?? 0,
    memoryBytes: reservations?.MemoryBytes ?? 0,
    constraints: [],
    platforms,
    hostPorts: taskHostPorts(t),
    maxReplicas: placement?.MaxReplicas ?? 0,
    spread: spreadLevels(placement?.Preferences),
    staticKey: JSON.stringify([placement?.Constraints ?? [], platforms]),
  };
  try {
    req.constraints = parseConstraints(placement?.Constraints);
  } catch (err) {
    req.invalid = err instanceof Error ? err.message : String(err);
  }
  return req;
}

function spreadLevels(prefs: NonNullable<Task['Spec']['Placement']>['Preferences']): SpreadLevel[] {
  const levels: SpreadLevel[] = [];
  for (const p of prefs ?? []) {
    const descriptor = p.Spread?.SpreadDescriptor ?? '';
    const lower = descriptor.toLowerCase();
    // Anything but a label would give every node the same value: a level that changes nothing.
    if (lower.startsWith('node.labels.') && descriptor.length > 12) levels.push({ source: 'node', label: descriptor.slice(12) });
    else if (lower.startsWith('engine.labels.') && descriptor.length > 14) levels.push({ source: 'engine', label: descriptor.slice(14) });
  }
  return levels;
}
