// The admin API's guard: the caller is authenticated by Basic credentials (a user's password or a
// robot's secret) or by a bearer token from /service/token, then checked against what the route
// needs. 401 when unauthenticated, 403 when authenticated but not allowed.

import type { FastifyRequest } from 'fastify';
import type { Store } from '../../store/index.js';
import { ForbiddenError, UnauthorizedError } from '../../types/index.js';
import type { AdminGuard, Need, Principal } from './admin.js';
import { authenticate, basicCredentials, bearerToken, callerOf } from '../auth/credentials.js';
import { allowedActions, callerName, memberRole, roleAtLeast, type Caller } from '../auth/permissions.js';
import { InvalidTokenError, type TokenKeys } from '../auth/tokens.js';
import { projectNotFound } from './projects.js';

export function adminGuard(store: Store, keys: TokenKeys): AdminGuard {
  return async (request, need) => {
    const caller = await identify(request, store, keys);
    if (caller.kind === 'anonymous') {
      throw new UnauthorizedError('authentication required: log in with berth login, or send Basic credentials (a user, or a robot account and its secret)');
    }
    check(store, caller, need);
    return principalOf(caller);
  };
}

export function principalOf(caller: Caller): Principal {
  return { name: callerName(caller), admin: caller.kind === 'user' && caller.user.Spec.Admin, robot: caller.kind === 'robot' };
}

async function identify(request: FastifyRequest, store: Store, keys: TokenKeys): Promise<Caller> {
  const header = request.headers.authorization;
  const creds = basicCredentials(header);
  if (creds) return authenticate(store, creds);
  const token = bearerToken(header);
  if (!token) return { kind: 'anonymous' };
  try {
    return callerOf(store, (await keys.verify(token)).subject);
  } catch (err) {
    if (err instanceof InvalidTokenError) throw new UnauthorizedError(err.message);
    throw err;
  }
}

function check(store: Store, caller: Exclude<Caller, { kind: 'anonymous' }>, need: Need): void {
  if ('authenticated' in need) return;
  const admin = caller.kind === 'user' && caller.user.Spec.Admin;
  if ('admin' in need) {
    if (!admin) throw new ForbiddenError(`${callerName(caller)} is not a system administrator: this needs the admin user or another system administrator`);
    return;
  }
  if (admin) return;
  const project = store.view((tx) => tx.registryProjects.byName(need.project));
  if (!project) throw projectNotFound(need.project);
  // Everyone signed in is at least a guest of a public project; a robot, of any project it may pull from.
  const role = memberRole(caller, project) ?? (project.Spec.Public || allowedActions(caller, project).includes('pull') ? 'guest' : undefined);
  if (!role || !roleAtLeast(role, need.role)) {
    throw new ForbiddenError(`${callerName(caller)} needs the ${need.role} role (or higher) in project ${need.project}${role ? `, and has ${role}` : ''}: ask one of its project admins`);
  }
}
