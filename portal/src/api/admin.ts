// The administration pages' reads and changes: the directory (users, teams, tokens, passwords),
// OIDC, the audit log and the swarm's settings, through the same routes as `berth user|team|
// token|oidc|audit` and `docker swarm update|ca|unlock-key`.

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiError } from './client';
import { keys } from './keys';
import type { Swarm } from './types';
import type { ApiToken, AuditEntry, ClusterRole, DirectoryUser, NewToken, OidcSettings, Team, TeamRole } from './admin-types';

const enc = encodeURIComponent;

/** useChange runs a change and refetches what shows it, whether it worked or not. */
export function useChange<A, R = unknown>(change: (a: A) => Promise<R>, key: readonly unknown[]) {
  const queries = useQueryClient();
  return useMutation({ mutationFn: change, onSettled: () => queries.invalidateQueries({ queryKey: key }) });
}

export const useUsers = () => useQuery({ queryKey: keys.users.all(), queryFn: () => api.get<DirectoryUser[]>('/berth/v1/users') });

export const useCreateUser = () =>
  useChange((u: { Name: string; Email?: string; Role: ClusterRole; Password: string }) => api.post<DirectoryUser>('/berth/v1/users', u), keys.users.all());

export const useUpdateUser = () =>
  useChange(({ name, ...change }: { name: string; Role?: ClusterRole; Disabled?: boolean }) => api.post<DirectoryUser>(`/berth/v1/users/${enc(name)}/update`, change), keys.users.all());

export const useRemoveUser = () => useChange((name: string) => api.delete(`/berth/v1/users/${enc(name)}`), keys.users.all());

/** One's own password takes the old one; an administrator resets anyone's without it. */
export const useSetPassword = () =>
  useMutation({ mutationFn: ({ name, ...body }: { name: string; Password: string; OldPassword?: string }) => api.put(`/berth/v1/users/${enc(name)}/password`, body) });

export const useTeams = () => useQuery({ queryKey: keys.teams.all(), queryFn: () => api.get<Team[]>('/berth/v1/teams') });

export interface TeamChange {
  Members: Array<{ User: string; Role: TeamRole }>;
  Stacks: string[];
  Groups: Array<{ Group: string; Role: TeamRole }>;
}

export const useCreateTeam = () => useChange((t: TeamChange & { Name: string }) => api.post<Team>('/berth/v1/teams', t), keys.teams.all());
export const useUpdateTeam = () => useChange(({ name, ...t }: TeamChange & { name: string }) => api.post<Team>(`/berth/v1/teams/${enc(name)}/update`, t), keys.teams.all());
export const useRemoveTeam = () => useChange((name: string) => api.delete(`/berth/v1/teams/${enc(name)}`), keys.teams.all());

/** One's own tokens and sessions; an administrator's list holds everyone's. */
export const useTokens = () => useQuery({ queryKey: keys.tokens.all(), queryFn: () => api.get<ApiToken[]>('/berth/v1/tokens') });
export const useCreateToken = () =>
  useChange((t: { Name: string; Role?: ClusterRole; ExpiresIn: string }) => api.post<NewToken>('/berth/v1/tokens', t), keys.tokens.all());
export const useRevokeToken = () => useChange((id: string) => api.delete(`/berth/v1/tokens/${enc(id)}`), keys.tokens.all());

/** The provider, or null when none is set (the API answers 404). */
export const useOidc = () =>
  useQuery({
    queryKey: keys.oidc(),
    queryFn: () => api.get<OidcSettings>('/berth/v1/oidc').catch((err: unknown) => (err instanceof ApiError && err.status === 404 ? null : Promise.reject(err))),
  });

export const useSaveOidc = () =>
  useChange((s: Omit<OidcSettings, 'RedirectPath'> & { ClientSecret?: string }) => api.put<OidcSettings>('/berth/v1/oidc', s), keys.oidc());
export const useRemoveOidc = () => useChange(() => api.delete('/berth/v1/oidc'), keys.oidc());

/**
 * One page of the audit log for a query string of the route's parameters. Every change anyone
 * makes adds to it and no event says so: it is read again whenever it is shown.
 */
export const useAudit = (query: string) =>
  useQuery({ queryKey: keys.audit(query), queryFn: () => api.get<AuditEntry[]>(`/berth/v1/audit?${query}`), staleTime: 0 });

/**
 * useUpdateSwarm sends a whole spec with the version it was read at, as `docker swarm update`
 * does; rotateManagerUnlockKey is `docker swarm unlock-key --rotate`.
 */
export const useUpdateSwarm = () =>
  useChange(
    ({ swarm, spec, rotateUnlockKey }: { swarm: Swarm; spec: Swarm['Spec']; rotateUnlockKey?: boolean }) =>
      api.post(`/swarm/update?version=${swarm.Version.Index}${rotateUnlockKey ? '&rotateManagerUnlockKey=true' : ''}`, spec),
    keys.swarm(),
  );

/** unlockKey is `docker swarm unlock-key`: read when asked for, never kept in the cache. */
export const unlockKey = async (): Promise<string> => (await api.get<{ UnlockKey: string }>('/swarm/unlockkey')).UnlockKey;
