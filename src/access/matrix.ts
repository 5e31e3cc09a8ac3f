// Who may call what on the manager API: three cluster roles, as Portainer's and Rancher's
// (docs/access.md holds the table). Every route is classed by the right it needs; a role holds
// a set of rights. A route this table does not know needs `admin`, so a new route is closed
// until someone decides otherwise.

import type { ClusterRole } from '../types/index.js';

export const ROLES: readonly ClusterRole[] = ['viewer', 'operator', 'admin'];

/**
 * read: see the cluster and its workloads (no secret data: the API never shows any, and join
 * tokens are hidden from all but admins). deploy: change workloads — services, secrets, configs,
 * networks, pull logins — and exec into their containers. administer: nodes, the swarm's settings and keys, client certificates,
 * the audit log.
 */
export type Right = 'public' | 'read' | 'deploy' | 'administer';

const HELD: Record<ClusterRole, readonly Right[]> = {
  viewer: ['public', 'read'],
  operator: ['public', 'read', 'deploy'],
  admin: ['public', 'read', 'deploy', 'administer'],
};

// Task containers: reading them (ps, inspect, logs, top, stats) is reading workloads; an exec
// changes one (a shell in it), so it is an operator's, never a viewer's.
const WORKLOADS = new Set(['services', 'tasks', 'containers', 'exec', 'secrets', 'configs', 'networks', 'distribution', 'berth/v1/registry-credentials']);
const PUBLIC = new Set(['_ping', 'version', 'info', 'berth/v1/openapi.yaml']);

/** rightFor says what a request needs, from its method and route (`/services/:id/update`). */
export function rightFor(method: string, route: string): Right {
  const path = route.replace(/^\//, '');
  const collection = path.startsWith('berth/v1/') ? path.split('/').slice(0, 3).join('/') : path.split('/')[0]!;
  const reading = method === 'GET' || method === 'HEAD';
  if (PUBLIC.has(path)) return 'public';
  if (WORKLOADS.has(collection)) return reading ? 'read' : 'deploy';
  // Nodes and the swarm object are seen by all; the unlock key is a key.
  if (reading && (collection === 'nodes' || path === 'swarm')) return 'read';
  return 'administer';
}

export function holds(role: ClusterRole, right: Right): boolean {
  return HELD[role].includes(right);
}

/** leastRole is the weakest role that holds a right, for the refusal's message. */
export function leastRole(right: Right): ClusterRole {
  return ROLES.find((r) => holds(r, right))!;
}

export function isRole(value: unknown): value is ClusterRole {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export type { ClusterRole };
