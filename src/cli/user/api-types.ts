// The objects as the Engine API serves them: the stored shapes without Berth's internal fields,
// plus what the server derives on read (ServiceStatus for `GET /services?status=true`).

import type { Node, Service, Task } from '../../types/index.js';

export type ApiNode = Omit<Node, 'BerthKeyDigest'>;

export interface ServiceStatus {
  RunningTasks: number;
  DesiredTasks: number;
  CompletedTasks?: number;
}

export type ApiService = Omit<Service, 'BerthSpecVersion'> & { ServiceStatus?: ServiceStatus };

export type ApiTask = Omit<Task, 'BerthService' | 'BerthRestartAt' | 'Name'>;

export interface SystemInfo {
  Name?: string;
  ServerVersion?: string;
  Swarm?: { NodeID?: string; LocalNodeState?: string; ControlAvailable?: boolean; RemoteManagers?: { NodeID: string; Addr: string }[] };
}

/** GET /swarm, as far as the CLI reads it. */
export interface SwarmInfo {
  Version: { Index: number };
  Spec: Record<string, unknown>;
  JoinTokens: { Worker: string; Manager: string };
}

/** `filters` query value: key → set of values, as the docker CLI sends it. */
export type ApiFilters = Record<string, Record<string, boolean>>;

export interface CreateServiceResult {
  ID: string;
  /** v1.41 documents one `Warning`; newer engines send `Warnings`. */
  Warning?: string;
  Warnings?: string[] | null;
}
