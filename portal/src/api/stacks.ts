// Stacks through /berth/v1/stacks: the server converts the compose file (as `docker stack
// deploy` does) and answers the plan of a dry run; the browser never converts anything itself.

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from './client';
import { keys } from './keys';

export interface StackSummary {
  Name: string;
  Services: number;
  RunningTasks: number;
  DesiredTasks: number;
  /** Berth deployed it and has its compose file; the docker CLI's stacks have none. */
  HasCompose: boolean;
  StackVersion?: number;
  UpdatedAt?: string;
}

export interface StackService {
  ID: string;
  Name: string;
  Mode: string;
  Image: string;
  RunningTasks: number;
  DesiredTasks: number;
}

export interface StackDetail extends StackSummary {
  Compose?: string;
  EnvNames?: string[];
  Objects: { Services: StackService[]; Networks: string[]; Secrets: string[]; Configs: string[] };
}

export interface StackChange {
  Kind: 'service' | 'network' | 'secret' | 'config';
  Name: string;
  Action: 'create' | 'update' | 'remove' | 'unchanged';
  Fields?: { Field: string; Old?: unknown; New?: unknown }[];
}

export interface DeployResult {
  Name: string;
  StackVersion: number;
  DryRun: boolean;
  Warnings: string[];
  Changes: StackChange[];
}

export interface DeployRequest {
  Name: string;
  Compose: string;
  /** Left out, the server keeps the last deploy's variables. */
  Env?: Record<string, string>;
}

const path = (name: string) => `/berth/v1/stacks/${encodeURIComponent(name)}`;

export function useStacks() {
  return useQuery({ queryKey: keys.stacks.list(), queryFn: () => api.get<StackSummary[]>('/berth/v1/stacks') });
}

/** useStack reads one stack; with no name (a new stack's form) it reads nothing. */
export function useStack(name: string | undefined) {
  return useQuery({ queryKey: keys.stacks.one(name ?? ''), queryFn: () => api.get<StackDetail>(path(name!)), enabled: !!name });
}

/** A deploy, or with dryRun its plan only (nothing changes, so nothing is invalidated). */
export function useDeployStack() {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: ({ request, dryRun }: { request: DeployRequest; dryRun: boolean }) => api.post<DeployResult>(`/berth/v1/stacks${dryRun ? '?dryRun=true' : ''}`, request),
    onSettled: (_data, _err, { dryRun }) => (dryRun ? undefined : Promise.all([keys.stacks.all(), keys.services.all()].map((queryKey) => queries.invalidateQueries({ queryKey })))),
  });
}

export function useRemoveStack() {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => api.delete(path(name)),
    onSettled: () => Promise.all([keys.stacks.all(), keys.services.all()].map((queryKey) => queries.invalidateQueries({ queryKey }))),
  });
}
