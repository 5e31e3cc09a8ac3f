// Changes go through the same routes as the CLIs; an object's update carries the version read,
// so two people changing one object do not overwrite each other (the API answers a conflict).

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from './client';
import { keys } from './keys';
import type { Node, Service, ServiceSpec } from './types';

export function useUpdateNode() {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: ({ node, spec }: { node: Node; spec: Node['Spec'] }) => api.post(`/nodes/${node.ID}/update?version=${node.Version.Index}`, spec),
    onSettled: () => queries.invalidateQueries({ queryKey: keys.nodes.all() }),
  });
}

export function useUpdateService() {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: ({ service, spec, rollback }: { service: Service; spec: ServiceSpec; rollback?: boolean }) =>
      api.post<{ Warnings?: string[] }>(`/services/${service.ID}/update?version=${service.Version.Index}${rollback ? '&rollback=previous' : ''}`, spec),
    onSettled: () => queries.invalidateQueries({ queryKey: keys.services.all() }),
  });
}

export function useCreateService() {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: (spec: ServiceSpec) => api.post<{ ID: string; Warnings?: string[] }>('/services/create', spec),
    onSettled: () => queries.invalidateQueries({ queryKey: keys.services.all() }),
  });
}

export function useRemoveService() {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.delete(`/services/${id}`),
    onSettled: () => queries.invalidateQueries({ queryKey: keys.services.all() }),
  });
}
