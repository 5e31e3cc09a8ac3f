// Who may call what on the manager API: three cluster roles, as Portainer's and Rancher's, and
// team grants on what a team owns (docs/access.md holds the table). Every route is classed by the
// right it needs; a role holds a set of rights. A route this table does not know needs `admin`,
// so a new route is closed until someone decides otherwise.

import type { ClusterRole, TeamRole } from '../types/index.js';

export const ROLES: readonly ClusterRole[] = ['viewer', 'operator', 'admin'];

/**
 * anyone: no authentication (ping, version, the API description, logging in). self: any
 * authenticated caller (the system's info, one's own tokens and password). read: see the cluster
 * and its workloads (no secret data: the API never shows any, and join tokens are hidden from all
 * but admins). deploy: change workloads — services, secrets, configs, networks, pull logins — and exec into
 * their containers.
 * administer: nodes, the swarm's settings and keys, client certificates, users and teams, the audit log.
 */
export type Right = 'anyone' | 'self' | 'read' | 'deploy' | 'administer';

const HELD: Record<ClusterRole, readonly Right[]> = {
  viewer: ['anyone', 'self', 'read'],
  operator: ['anyone', 'self', 'read', 'deploy'],
  admin: ['anyone', 'self', 'read', 'deploy', 'administer'],
};

// Task containers: reading them (ps, inspect, logs, top, stats) is reading workloads; an exec
// changes one (a shell in it), so it is an operator's, never a viewer's.
/** What a team's member may do with what the team owns. */
const TEAM_HELD: Record<TeamRole, readonly Right[]> = { viewer: ['read'], operator: ['read', 'deploy'], lead: ['read', 'deploy'] };

// Events: reading them is reading workloads; a team member's stream holds their teams' objects' (and nodes').
const WORKLOADS = new Set(['services', 'tasks', 'secrets', 'configs', 'networks', 'distribution', 'containers', 'exec', 'berth/v1/exec', 'events', 'berth/v1/registry-credentials', 'berth/v1/image-updates', 'berth/v1/stacks']);
/** Collections whose objects a team may own (by stack or berth.team label); the rest of WORKLOADS only cluster roles reach. */
export const TEAM_COLLECTIONS = new Set(['services', 'tasks', 'secrets', 'configs', 'networks', 'containers', 'exec', 'berth/v1/exec', 'events', 'berth/v1/image-updates', 'berth/v1/stacks']);
// OIDC logins come without credentials; /refresh checks the session it renews itself (an expired one too).
const ANYONE = new Set(['_ping', 'version', 'berth/v1/openapi.yaml', 'berth/v1/login', 'berth/v1/oidc/login', 'berth/v1/oidc/callback', 'berth/v1/oidc/device', 'berth/v1/oidc/device/token', 'berth/v1/oidc/refresh']);
// The registry's admin API (on this port under berth up): its own guard decides, by Harbor's project roles.
const SELF = new Set(['info', 'berth/v1/whoami', 'berth/v1/tokens', 'berth/v1/tokens/:id', 'berth/v1/logout', 'berth/v1/users/:name/password', 'berth/v1/teams', 'berth/v1/teams/:name', 'berth/v1/teams/:name/update', 'berth/v1/registry/*']);
const ADMINISTER = new Set(['POST berth/v1/teams', 'DELETE berth/v1/teams/:name']);
// A WebSocket opens with a GET: this one starts an exec, as POST /exec/{id}/start does.
const DEPLOY_READS = new Set(['berth/v1/exec/:id/start']);

/** collectionOf names a route's collection (`services`, `berth/v1/tokens`), from its path without the leading slash. */
export const collectionOf = (path: string): string => (path.startsWith('berth/v1/') ? path.split('/').slice(0, 3).join('/') : path.split('/')[0]!);

/** rightFor says what a request needs, from its method and route (`/services/:id/update`). */
export function rightFor(method: string, route: string): Right {
  const path = route.replace(/^\//, '');
  const collection = collectionOf(path);
  const reading = method === 'GET' || method === 'HEAD';
  // The portal's own files (its code, no data: it calls the API with the user's session).
  if (ANYONE.has(path) || path === '' || path === 'ui' || path === 'ui/*') return 'anyone';
  if (ADMINISTER.has(`${method} ${path}`)) return 'administer';
  if (reading && DEPLOY_READS.has(path)) return 'deploy';
  // The handler checks that one acts on one's own (or is an admin, or the team's lead).
  if (SELF.has(path)) return 'self';
  if (WORKLOADS.has(collection)) return reading ? 'read' : 'deploy';
  // Nodes and the swarm object are seen by all; the unlock key is a key.
  if (reading && (collection === 'nodes' || path === 'swarm')) return 'read';
  return 'administer';
}

/** holds says whether an authenticated caller with this cluster role (or none) has the right. */
export function holds(role: ClusterRole | undefined, right: Right): boolean {
  return right === 'anyone' || right === 'self' || (!!role && HELD[role].includes(right));
}

export function teamHolds(role: TeamRole, right: Right): boolean {
  return TEAM_HELD[role].includes(right);
}

/** leastRole is the weakest role that holds a right, for the refusal's message. */
export function leastRole(right: Right): ClusterRole {
  return ROLES.find((r) => holds(r, right))!;
}

export function isRole(value: unknown): value is ClusterRole {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export type { ClusterRole };
