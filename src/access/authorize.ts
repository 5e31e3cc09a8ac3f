// The manager API's authorization, on every request before anything else runs (a follower's
// forwarding included): the caller's cluster role must hold the route's right, else — for what
// teams own — one of their teams' roles must, and the request is then held to what those teams
// own (scope.ts). A refusal is Docker's error shape: 401 without credentials, 403 naming the role
// a route takes. Join tokens leave GET /swarm only for admins.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Store } from '../store/index.js';
import { ForbiddenError, UnauthorizedError, type Caller } from '../types/index.js';
import type { Callers } from './caller.js';
import { collectionOf, holds, leastRole, rightFor, teamHolds, TEAM_COLLECTIONS, type Right } from './matrix.js';
import { teamScope } from './scope.js';

export function authorize(app: FastifyInstance, callers: Callers, store: Store): void {
  const scope = teamScope(app, store);
  app.addHook('onRequest', async (request) => {
    const route = request.routeOptions.url;
    // An unknown path answers its 404 to anyone.
    if (!route) return;
    const right = rightFor(request.method, route);
    let caller: Caller;
    try {
      caller = callers.callerOf(request);
    } catch (err) {
      if (right === 'anyone' && err instanceof UnauthorizedError) return;
      throw err;
    }
    if (holds(caller.Role, right)) return;
    const teams = teamGrants(caller, right, route);
    if (teams === 'all') return;
    if (teams.length > 0) return scope.limit(request, teams, caller.Teams);
    const needs = leastRole(right);
    const has = caller.Role ? `has the ${caller.Role} role` : teamsText(caller);
    throw new ForbiddenError(`access denied: ${request.method} ${route} takes the ${needs} role; ${caller.User} (${caller.Auth}) ${has} (an administrator grants roles: berth user update --role, berth cert client NAME --role ${needs})`);
  });
  app.addHook('onSend', async (request, _reply, payload) => {
    if (request.method !== 'GET' || request.routeOptions.url !== '/swarm' || typeof payload !== 'string' || callerRole(callers, request) === 'admin') return payload;
    // A join token lets a machine into the cluster: only admins see them.
    const swarm = JSON.parse(payload) as { JoinTokens?: { Worker: string; Manager: string } };
    if (swarm.JoinTokens) swarm.JoinTokens = { Worker: '', Manager: '' };
    return JSON.stringify(swarm);
  });
}

/**
 * teamGrants: the teams whose role gives `right` on this route's objects; 'all' for what every
 * team member may read unscoped (nodes, the swarm object, an image's distribution record: the
 * docker CLI needs them to deploy and to show tasks).
 */
function teamGrants(caller: Caller, right: Right, route: string): Caller['Teams'] | 'all' {
  if (caller.Teams.length === 0) return [];
  const path = route.replace(/^\//, '');
  const collection = collectionOf(path);
  if (right === 'read' && (collection === 'nodes' || path === 'swarm' || collection === 'distribution')) return 'all';
  // Pruning removes every team's unused networks.
  if (!TEAM_COLLECTIONS.has(collection) || path === 'networks/prune') return [];
  return caller.Teams.filter((t) => teamHolds(t.Role, right));
}

function teamsText(caller: Caller): string {
  if (caller.Teams.length === 0) return 'has no role and is in no team';
  return `has no cluster role; their teams (${caller.Teams.map((t) => `${t.Team}: ${t.Role}`).join(', ')}) give no more`;
}

function callerRole(callers: Callers, request: FastifyRequest): string | undefined {
  try {
    return callers.callerOf(request).Role;
  } catch {
    return undefined;
  }
}
