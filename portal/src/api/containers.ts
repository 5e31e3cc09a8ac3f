// The reads of the containers pages: every node's task containers through the manager, one
// container's inspect, processes and a stats sample (docs/containers.md).

import { useQuery } from '@tanstack/react-query';
import { api } from './client';
import { keys } from './keys';
import type { ContainerInspect, ContainerStats, ContainerSummary, ContainerTop } from './container-types';

const path = (id: string) => `/containers/${encodeURIComponent(id)}`;

export const useContainers = () => useQuery({ queryKey: keys.containers.list(), queryFn: () => api.get<ContainerSummary[]>('/containers/json?all=1') });
export const useContainer = (id: string) => useQuery({ queryKey: keys.containers.one(id), queryFn: () => api.get<ContainerInspect>(`${path(id)}/json`) });
// Processes and a stats sample are snapshots: read when shown, and again on demand.
export const useContainerTop = (id: string) => useQuery({ queryKey: [...keys.containers.one(id), 'top'], queryFn: () => api.get<ContainerTop>(`${path(id)}/top`), staleTime: 0 });
export const useContainerStats = (id: string) => useQuery({ queryKey: [...keys.containers.one(id), 'stats'], queryFn: () => api.get<ContainerStats>(`${path(id)}/stats?stream=false`), staleTime: 0 });
