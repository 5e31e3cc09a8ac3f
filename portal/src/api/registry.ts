// The registry pages' reads and changes, through the registry admin API the manager serves under
// /berth/v1/registry (the registry's own routes and rights), and the services' update check.
// Every read is under keys.registry; any change through the API refetches them all (a
// registry's changes are not on the event stream).

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from './client';
import { keys } from './keys';
import type {
  Artifact, Delivery, Endpoint, GcRun, GcStatus, ImageUpdate, ImmutabilityRule, ProjectMember, Quota, RegistryInfo, RegistryProject,
  ReplicationPolicy, ReplicationRun, RepositorySummary, RetentionPolicy, RetentionRun, Robot, Webhook,
} from './registry-types';

export const REGISTRY = '/berth/v1/registry';
const enc = encodeURIComponent;
export const projectPath = (name: string): string => `${REGISTRY}/projects/${enc(name)}`;

function useRead<T>(path: string[], url: string, enabled = true) {
  return useQuery({ queryKey: keys.registry.of(...path), queryFn: () => api.get<T>(url), enabled });
}

export const useRegistryInfo = () => useQuery({ queryKey: keys.registry.of('systeminfo'), queryFn: () => api.get<RegistryInfo>(`${REGISTRY}/systeminfo`), staleTime: Infinity });
export const useProjects = () => useRead<RegistryProject[]>(['projects'], `${REGISTRY}/projects`);
export const useProject = (name: string) => useRead<RegistryProject>(['project', name], projectPath(name));
export const useRepositories = (name: string, enabled = true) => useRead<RepositorySummary[]>(['project', name, 'repositories'], `${projectPath(name)}/repositories`, enabled);
export const useArtifacts = (project: string, repository: string) =>
  useRead<Artifact[]>(['project', project, 'artifacts', repository], `${projectPath(project)}/repositories/${enc(repository)}/artifacts`);
export const useMembers = (name: string, enabled = true) => useRead<ProjectMember[]>(['project', name, 'members'], `${projectPath(name)}/members`, enabled);
export const useRobots = (name: string, enabled = true) => useRead<Robot[]>(['project', name, 'robots'], `${REGISTRY}/robots?project=${enc(name)}`, enabled);
export const useQuota = (name: string, enabled = true) => useRead<Quota>(['project', name, 'quota'], `${projectPath(name)}/quota`, enabled);
export const useQuotas = () => useRead<Quota[]>(['quotas'], `${REGISTRY}/quotas`);
export const useRetention = (name: string, enabled = true) => useRead<RetentionPolicy>(['project', name, 'retention'], `${projectPath(name)}/retention`, enabled);
export const useRetentionRuns = (name: string, enabled = true) => useRead<RetentionRun[]>(['project', name, 'retention-runs'], `${projectPath(name)}/retention/runs`, enabled);
export const useImmutability = (name: string, enabled = true) => useRead<{ Rules: ImmutabilityRule[] }>(['project', name, 'immutability'], `${projectPath(name)}/immutability`, enabled);
export const useWebhooks = (name: string, enabled = true) => useRead<Webhook[]>(['project', name, 'webhooks'], `${projectPath(name)}/webhooks`, enabled);
export const useDeliveries = (name: string, id: string) => useRead<Delivery[]>(['project', name, 'webhooks', id], `${projectPath(name)}/webhooks/${enc(id)}/deliveries`);
export const useEndpoints = () => useRead<Endpoint[]>(['registries'], `${REGISTRY}/registries`);
export const useReplications = () => useRead<ReplicationPolicy[]>(['replications'], `${REGISTRY}/replications`);
export const useReplicationRuns = (id: string) => useRead<ReplicationRun[]>(['replications', id, 'runs'], `${REGISTRY}/replications/${enc(id)}/runs`);

/** useGc follows a running collection until it ends (a run the user started: there is no event for it). */
export const useGc = () =>
  useQuery({ queryKey: keys.registry.of('gc'), queryFn: () => api.get<GcStatus>(`${REGISTRY}/gc`), refetchInterval: (q) => (q.state.data?.running ? 1000 : false) });

/** useRegistryChange wraps one change through the admin API; every registry read refetches after it. */
export function useRegistryChange<V, R = unknown>(send: (v: V) => Promise<R>) {
  const queries = useQueryClient();
  return useMutation({ mutationFn: send, onSettled: () => queries.invalidateQueries({ queryKey: keys.registry.all() }) });
}

export const startGc = (body: { dryRun: boolean; deleteUntagged: boolean }) => api.post<GcRun>(`${REGISTRY}/gc`, { ...body, wait: false });

/**
 * useImageUpdates: the services whose pinned digest their registry tag has moved past. Asked
 * again whenever a page showing them opens: a push to the registry is not on the event stream.
 */
export const useImageUpdates = () => useQuery({ queryKey: keys.imageUpdates(), queryFn: () => api.get<ImageUpdate[]>('/berth/v1/image-updates'), staleTime: 0 });
