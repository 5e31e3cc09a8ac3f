// The Authorizer of token auth: every /v2/ request needs a bearer token issued by this registry's
// token endpoint (signature, issuer, audience and time checked) whose `access` covers the request.
// Refusals follow distribution: 401 UNAUTHORIZED with a Bearer challenge naming the realm, the
// service and the scope, with error="invalid_token" or error="insufficient_scope" when a token was
// sent. A token works only while its account could still log in: one of a removed account, or of
// a robot disabled or expired since, is an invalid_token at once. An authenticated push into a
// project that does not exist is DENIED, naming the fix (a HEAD, which cannot carry the message,
// gets NAME_UNKNOWN's 404).

import type { Store } from '../../store/index.js';
import { UnauthorizedError } from '../../types/index.js';
import type { AccessRequest, Authorizer } from './access.js';
import { bearerToken, callerOf } from './credentials.js';
import { RegistryError } from '../distribution/errors.js';
import { projectOf } from '../admin/projects.js';
import { TOKEN_PATH } from './token-endpoint.js';
import { InvalidTokenError, SERVICE, type TokenKeys } from './tokens.js';

export function tokenAuthorizer(opts: { store: Store; keys: TokenKeys; tls: boolean }): Authorizer {
  return async (request) => {
    const detail = request.scopes.flatMap((s) => s.actions.map((a) => ({ Type: 'repository', Name: s.repository, Action: a })));
    const refuse = (message: string, error?: string): RegistryError =>
      new RegistryError('UNAUTHORIZED', 401, message, detail.length > 0 ? detail : undefined, [], { 'WWW-Authenticate': challenge(request, opts.tls, error) });

    const token = bearerToken(request.headers.authorization);
    if (!token) throw refuse('authentication required: log in first (berth login, podman login or docker login), or get a token from the realm the WWW-Authenticate header names');
    let verified;
    try {
      verified = await opts.keys.verify(token);
      callerOf(opts.store, verified.subject);
    } catch (err) {
      if (err instanceof InvalidTokenError || err instanceof UnauthorizedError) throw refuse(err.message, 'invalid_token');
      throw err;
    }
    for (const scope of request.scopes) {
      const granted = new Set(verified.access.filter((e) => e.name === scope.repository).flatMap((e) => e.actions));
      const missing = scope.actions.filter((a) => !granted.has(a));
      if (missing.length === 0) continue;
      const project = projectOf(scope.repository);
      if (verified.subject === '') {
        throw refuse(`authentication required to ${missing.join(' and ')} ${scope.repository}: log in (berth login, podman login or docker login) as an account with access to project ${project}`, 'insufficient_scope');
      }
      if (!opts.store.view((tx) => tx.registryProjects.byName(project))) {
        const message = `project ${project} does not exist: create it first (berth project create ${project})${missing.includes('push') ? ', then push again' : ''}`;
        // A HEAD answer has no body for the message. Clients push by asking HEAD for each blob and
        // starting an upload on 404: the upload's DENIED then reaches the user with the message.
        if (request.method === 'HEAD') throw new RegistryError('NAME_UNKNOWN', 404, message, { project });
        throw new RegistryError('DENIED', 403, message, { project });
      }
      throw refuse(
        `${verified.subject} may not ${missing.join(' or ')} ${scope.repository}: ask an admin of project ${project} for a role that allows it (berth project member add)`,
        'insufficient_scope',
      );
    }
    return verified.subject;
  };
}

/** The Bearer challenge (RFC 6750 §3): realm from the request's own scheme and Host, so clients reach it the way they reached /v2/. */
function challenge(request: AccessRequest, tls: boolean, error?: string): string {
  // Only a plain host[:port] goes into the header; anything else could break its quoting.
  const host = /^[A-Za-z0-9.:[\]-]+$/.test(request.headers.host ?? '') ? request.headers.host! : 'localhost';
  let value = `Bearer realm="${tls ? 'https' : 'http'}://${host}${TOKEN_PATH}",service="${SERVICE}"`;
  const scope = request.scopes.map((s) => `repository:${s.repository}:${s.actions.join(',')}`).join(' ');
  if (scope) value += `,scope="${scope}"`;
  if (error) value += `,error="${error}"`;
  return value;
}
