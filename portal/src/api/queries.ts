// The reads pages share, each under its key (keys.ts).

import { useQuery } from '@tanstack/react-query';
import { api, withFilters } from './client';
import { keys } from './keys';
import type { Node, Service, Swarm, Task } from './types';

export const useNodes = () => useQuery({ queryKey: keys.nodes.list(), queryFn: () => api.get<Node[]>('/nodes') });
export const useNode = (id: string) => useQuery({ queryKey: keys.nodes.one(id), queryFn: () => api.get<Node>(`/nodes/${encodeURIComponent(id)}`) });
export const useServices = () => useQuery({ queryKey: keys.services.list(), queryFn: () => api.get<Service[]>('/services?status=true') });
export const useService = (id: string, defaults = true) =>
  useQuery({ queryKey: [...keys.services.one(id), defaults], queryFn: () => api.get<Service>(`/services/${encodeURIComponent(id)}?insertDefaults=${defaults}`) });
export const useTasks = (filters: Record<string, string[] | undefined>, enabled = true) =>
  useQuery({ queryKey: keys.tasks.list(filters), queryFn: () => api.get<Task[]>(withFilters('/tasks', filters)), enabled });
export const useSwarm = () => useQuery({ queryKey: keys.swarm(), queryFn: () => api.get<Swarm>('/swarm') });

/** Names by ID, for tables that show a task's node or service. */
export function byId<T extends { ID: string }>(list: T[] | undefined): Map<string, T> {
  return new Map((list ?? []).map((x) => [x.ID, x]));
}

export interface NamedObject {
  ID: string;
  /** A config's data (base64); a secret's is never returned. */
  Spec: { Name: string; Labels?: Record<string, string>; Data?: string };
  CreatedAt: string;
  UpdatedAt: string;
}
export interface Network {
  Id: string;
  Name: string;
  Driver: string;
  Scope: string;
  Attachable?: boolean;
  Internal?: boolean;
  Labels?: Record<string, string>;
  Created?: string;
  Ingress?: boolean;
  IPAM?: { Config?: Array<{ Subnet?: string; Gateway?: string }> };
  Options?: Record<string, string>;
}

export const useSecrets = () => useQuery({ queryKey: keys.secrets.all(), queryFn: () => api.get<NamedObject[]>('/secrets') });
export const useConfigs = () => useQuery({ queryKey: keys.configs.all(), queryFn: () => api.get<NamedObject[]>('/configs') });
export const useNetworks = () => useQuery({ queryKey: keys.networks.all(), queryFn: () => api.get<Network[]>('/networks') });
