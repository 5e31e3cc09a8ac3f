// Creating and removing secrets, configs and networks, as `docker secret|config|network create`
// and `rm` do (their lists are shared reads: queries.ts). A secret's value goes to the API once
// and is never read back: the API returns none.

import { api } from './client';
import { keys } from './keys';
import { useChange } from './admin';

export type DataKind = 'secret' | 'config';

const listOf = (kind: DataKind) => (kind === 'secret' ? keys.secrets.all() : keys.configs.all());

export const useCreateData = (kind: DataKind) =>
  useChange((body: { Name: string; Data: string; Labels?: Record<string, string> }) => api.post<{ ID: string }>(`/${kind}s/create`, body), listOf(kind));
export const useRemoveData = (kind: DataKind) => useChange((id: string) => api.delete(`/${kind}s/${encodeURIComponent(id)}`), listOf(kind));

export const useCreateNetwork = () => useChange((body: object) => api.post<{ Id: string }>('/networks/create', body), keys.networks.all());
export const useRemoveNetwork = () => useChange((id: string) => api.delete(`/networks/${encodeURIComponent(id)}`), keys.networks.all());
