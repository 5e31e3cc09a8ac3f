// The manager API's authorization, on every request before anything else runs (a follower's
// forwarding included): the caller's role must hold the route's right, else Docker's error
// shape with a 403 naming the role it takes. Join tokens leave GET /swarm only for admins.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ForbiddenError, type ClusterRole } from '../types/index.js';
import { holds, leastRole, rightFor } from './matrix.js';

/** Who the caller is, as far as access goes: their role (the unix socket and --insecure-api are an admin's). */
export type RoleOf = (request: FastifyRequest) => ClusterRole;

export function authorize(app: FastifyInstance, roleOf: RoleOf): void {
  app.addHook('onRequest', async (request) => {
    const route = request.routeOptions.url;
    // An unknown path answers its 404 to anyone.
    if (!route) return;
    const right = rightFor(request.method, route);
    const role = roleOf(request);
    if (!holds(role, right)) {
      const needs = leastRole(right);
      throw new ForbiddenError(`access denied: ${request.method} ${route} takes the ${needs} role; this client's certificate gives ${role} (berth cert client NAME --role ${needs} issues one)`);
    }
  });
  app.addHook('onSend', async (request, _reply, payload) => {
    if (request.method !== 'GET' || request.routeOptions.url !== '/swarm' || typeof payload !== 'string' || roleOf(request) === 'admin') return payload;
    // A join token lets a machine into the cluster: only admins see them.
    const swarm = JSON.parse(payload) as { JoinTokens?: { Worker: string; Manager: string } };
    if (swarm.JoinTokens) swarm.JoinTokens = { Worker: '', Manager: '' };
    return JSON.stringify(swarm);
  });
}
