// The token service (distribution's token.md and oauth.md) at /service/token on the registry's
// own port: GET with optional Basic auth (podman, skopeo, docker), and the OAuth2 POST form with
// grant_type=password. It grants the intersection of what is asked and what the caller may do,
// never failing for asking too much; only wrong credentials fail (401).

import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Store } from '../../store/index.js';
import { BerthError, TooManyRequestsError } from '../../types/index.js';
import { authenticate, basicCredentials, type BasicCredentials } from './credentials.js';
import type { LoginLimiter } from '../../users/login-limit.js';
import { RegistryError } from '../distribution/errors.js';
import { readBody, sendJson } from '../distribution/http.js';
import { checkName } from '../distribution/names.js';
import { ANONYMOUS, allowedActions, callerName, type Caller } from './permissions.js';
import { projectOf } from '../admin/projects.js';
import { parseScopes, type AccessEntry, type RequestedScope, type TokenKeys } from './tokens.js';

export const TOKEN_PATH = '/service/token';
const MAX_FORM_BYTES = 64 * 1024;

const validName = (name: string): boolean => {
  try {
    checkName(name);
    return true;
  } catch {
    return false;
  }
};

/** grant intersects what was asked with what the caller may do, project by project. */
export function grant(store: Store, caller: Caller, scopes: readonly RequestedScope[]): AccessEntry[] {
  return store.view((tx) =>
    scopes.map((s) => {
      const allowed = allowedActions(caller, tx.registryProjects.byName(projectOf(s.repository)));
      return { type: 'repository' as const, name: s.repository, actions: s.actions.filter((a) => allowed.includes(a)) };
    }),
  );
}

export function registerTokenEndpoint(app: FastifyInstance, store: Store, keys: TokenKeys, limiter: LoginLimiter): void {
  const login = async (creds: BasicCredentials | undefined, address: string): Promise<Caller> => {
    if (!creds) return ANONYMOUS;
    try {
      return await authenticate(store, creds, { limiter, address });
    } catch (err) {
      if (err instanceof TooManyRequestsError) throw new RegistryError('TOOMANYREQUESTS', 429, err.message, undefined, [], { 'Retry-After': String(err.retryAfterS) });
      if (err instanceof BerthError) throw new RegistryError('UNAUTHORIZED', 401, err.message, undefined, [], { 'WWW-Authenticate': 'Basic realm="berth-registry"' });
      throw err;
    }
  };

  app.get(TOKEN_PATH, async (request, reply) => {
    const query = new URLSearchParams(request.url.slice(request.url.indexOf('?') + 1 || request.url.length));
    const caller = await login(credentialsOf(request), request.ip);
    const access = grant(store, caller, parseScopes(query.getAll('scope'), validName));
    const issued = await keys.issue(callerName(caller), access);
    return sendJson(reply, 200, { token: issued.token, access_token: issued.token, expires_in: issued.expiresIn, issued_at: issued.issuedAt });
  });

  app.post(TOKEN_PATH, async (request, reply) => {
    const tooLarge = (limit: number) => new RegistryError('SIZE_INVALID', 413, `the token request form is larger than ${limit} bytes`);
    const form = new URLSearchParams((await readBody(request, MAX_FORM_BYTES, tooLarge)).toString('utf8'));
    const grantType = form.get('grant_type');
    if (grantType !== 'password') {
      // OAuth2's error shape (RFC 6749 §5.2): this service issues no refresh tokens.
      return sendJson(reply, 400, {
        error: 'unsupported_grant_type',
        error_description: `grant_type ${JSON.stringify(grantType ?? '')} is not supported: use grant_type=password with username and password, or GET ${TOKEN_PATH} with Basic auth`,
      });
    }
    const caller = await login({ username: form.get('username') ?? '', password: form.get('password') ?? '' }, request.ip);
    const access = grant(store, caller, parseScopes(form.getAll('scope'), validName));
    const issued = await keys.issue(callerName(caller), access);
    const scope = access.flatMap((e) => e.actions.map((a) => `repository:${e.name}:${a}`)).join(' ');
    return sendJson(reply, 200, { access_token: issued.token, token: issued.token, scope, expires_in: issued.expiresIn, issued_at: issued.issuedAt });
  });
}

function credentialsOf(request: FastifyRequest): BasicCredentials | undefined {
  try {
    return basicCredentials(request.headers.authorization);
  } catch (err) {
    throw new RegistryError('UNAUTHORIZED', 401, (err as Error).message);
  }
}
