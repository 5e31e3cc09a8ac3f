// The admin API's guard: the caller is authenticated by Basic credentials (a user's password or a
// robot's secret), by a bearer token from /service/token, or by a platform token or session
// (`berth_...`: the portal's, and the manager's port serves these routes too), then checked
// against what the route needs, by Harbor's rights (project-rights.ts). 401 when unauthenticated,
// 403 when authenticated but not allowed, naming the least role that would be.

import type { FastifyRequest } from 'fastify';
import type { Store } from '../../store/index.js';
import { ForbiddenError, UnauthorizedError } from '../../types/index.js';
import type { AdminGuard, Need, Principal } from './admin.js';
import { authenticate, basicCredentials, bearerToken, callerOf, isPlatformToken, platformCaller } from '../auth/credentials.js';
import { allowedActions, callerName, isSystemAdmin, memberRole, type Caller } from '../auth/permissions.js';
import { leastRole, mayInProject, type ProjectResource } from '../auth/project-rights.js';
import type { LoginLimiter } from '../../users/login-limit.js';
import { InvalidTokenError, type TokenKeys } from '../auth/tokens.js';
import { projectNotFound } from './projects.js';

export function adminGuard(store: Store, keys: TokenKeys, limiter: LoginLimiter): AdminGuard {
  return async (request, need) => {
    const { caller, platform } = await identify(request, store, keys, limiter);
    if (caller.kind === 'anonymous') {
      throw new UnauthorizedError('authentication required: log in with berth login, or send Basic credentials (a user, or a robot account and its secret), or a platform token (Authorization: Bearer berth_...)');
    }
    check(store, caller, need);
    return { ...principalOf(caller), ...(platform && { platform }) };
  };
}

export function principalOf(caller: Caller): Principal {
  return { name: callerName(caller), admin: isSystemAdmin(caller), robot: caller.kind === 'robot', caller };
}

async function identify(request: FastifyRequest, store: Store, keys: TokenKeys, limiter: LoginLimiter): Promise<{ caller: Caller; platform?: 'token' | 'session' }> {
  const header = request.headers.authorization;
  const creds = basicCredentials(header);
  if (creds) return { caller: await authenticate(store, creds, { limiter, address: request.ip }) };
  const token = bearerToken(header);
  if (!token) return { caller: { kind: 'anonymous' } };
  if (isPlatformToken(token)) {
    const { caller, kind } = platformCaller(store, token);
    return { caller, platform: kind };
  }
  try {
    return { caller: callerOf(store, (await keys.verify(token)).subject) };
  } catch (err) {
    if (err instanceof InvalidTokenError) throw new UnauthorizedError(err.message);
    throw err;
  }
}

function check(store: Store, caller: Exclude<Caller, { kind: 'anonymous' }>, need: Need): void {
  if ('authenticated' in need) return;
  const admin = isSystemAdmin(caller);
  const name = callerName(caller);
  if ('admin' in need) {
    if (admin) return;
    if (caller.kind === 'user' && caller.user.Spec.Role === 'admin') {
      throw new ForbiddenError(`${name} came with a token of the ${caller.cap} role, which is not a system administrator's: use a token or session with the admin role`);
    }
    throw new ForbiddenError(`${name} is not a system administrator: this needs the admin user or another system administrator`);
  }
  if (admin) return;
  const project = store.view((tx) => tx.registryProjects.byName(need.project));
  if (!project) throw projectNotFound(need.project);
  if ('repository' in need) {
    if (allowedActions(caller, project).includes(need.repository)) return;
    throw new ForbiddenError(`${name} may not ${need.repository} the repositories of project ${need.project}: ask one of its project admins for a role that allows it`);
  }
  if (mayInProject(caller, project, need.resource, need.action)) return;
  const target = need.resource === 'project' ? `project ${need.project}` : `the ${NOUNS[need.resource]} of project ${need.project}`;
  const refused = `${name} may not ${need.action} ${target}`;
  const least = leastRole(need.resource, need.action);
  const needed = least ? `a user with the ${least} role or higher` : 'a system administrator';
  if (caller.kind === 'robot') {
    throw new ForbiddenError(`${refused}: a robot account holds only the repository actions it was given (pull, push, delete); this needs ${needed}`);
  }
  const role = memberRole(caller, project);
  throw new ForbiddenError(`${refused}: this needs ${needed}, and ${name} ${role ? `has ${role}` : 'is not a member'}; ask one of its project admins`);
}

/** How a refusal names a project's resources. */
const NOUNS: Readonly<Record<Exclude<ProjectResource, 'project'>, string>> = {
  member: 'members',
  quota: 'quota',
  robot: 'robot accounts',
  'tag-retention': 'retention policy',
  'immutable-tag': 'immutability rules',
  'notification-policy': 'webhooks',
};
