// A task container as the pages show it: the manager names it /NODE/service.slot.task (classic
// Swarm's way) and the agent labels it with its service, task and node; its command as a shell
// would take it.

import type { ContainerSummary } from '../../api/container-types';

export interface ContainerRow {
  id: string;
  /** NODE/service.slot.task, as `docker ps` through the manager prints it. */
  fullName: string;
  /** The node's hostname, from the name. */
  node: string;
  nodeId: string;
  service: string;
  serviceId: string;
  taskId: string;
  state: string;
  status: string;
  image: string;
  created: number;
}

export interface ContainerFilters {
  node?: string | null;
  service?: string | null;
  state?: string | null;
  q?: string;
}

export function rowOf(c: ContainerSummary): ContainerRow {
  const fullName = (c.Names[0] ?? c.Id).replace(/^\//, '');
  const slash = fullName.indexOf('/');
  const labels = c.Labels ?? {};
  return {
    id: c.Id,
    fullName,
    node: slash > 0 ? fullName.slice(0, slash) : '',
    nodeId: labels['com.docker.swarm.node.id'] ?? '',
    service: labels['com.docker.swarm.service.name'] ?? '',
    serviceId: labels['com.docker.swarm.service.id'] ?? '',
    taskId: labels['com.docker.swarm.task.id'] ?? '',
    state: c.State,
    status: c.Status,
    // The digest the task pinned says nothing a person reads at a glance.
    image: c.Image.replace(/@sha256:[0-9a-f]+$/, ''),
    created: c.Created,
  };
}

/** matches applies the list's filters: node and service by ID, state exactly, the search over name, image and ID. */
export function matches(row: ContainerRow, f: ContainerFilters): boolean {
  if (f.node && row.nodeId !== f.node) return false;
  if (f.service && row.serviceId !== f.service) return false;
  if (f.state && row.state !== f.state) return false;
  const q = f.q?.trim().toLowerCase();
  return !q || row.fullName.toLowerCase().includes(q) || row.image.toLowerCase().includes(q) || row.id.startsWith(q);
}

/** commandLine shows a command as a shell would take it: words with spaces or quotes in single quotes. */
export function commandLine(words: string[]): string {
  return words.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' ');
}
