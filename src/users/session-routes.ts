// /berth/v1/login, /logout, /whoami and /tokens: how a user of the directory reaches the manager
// API without a certificate. A login is limited per account and address as the registry's is;
// a session lasts 12 hours; a personal access token (30 days unless told) is scoped to at most
// its user's role. Secrets are shown once, stored as hashes, and revoked by deleting the row.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseDuration } from '../common/time.js';
import { ForbiddenError, InvalidArgumentError, NotFoundError, UnauthorizedError, type ApiToken, type Caller } from '../types/index.js';
import type { LoginLimiter } from './login-limit.js';
import { checkLogin } from './passwords.js';
import { lesser } from './caller.js';
import { body as objectBody, checkClusterRole } from './rules.js';
import { findToken, issueToken } from './tokens.js';
import type { DirectoryOptions } from './routes.js';

export const SESSION_MS = 12 * 3600_000;
const TOKEN_DEFAULT_MS = 30 * 24 * 3600_000;
const TOKEN_MAX_MS = 366 * 24 * 3600_000;
const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const BAD_LOGIN = 'wrong user name or password';

const tokenView = (t: ApiToken) => ({ ID: t.ID, User: t.Spec.User, Kind: t.Spec.Kind, Name: t.Spec.Name, Role: t.Spec.Role ?? '', ExpiresAt: t.Spec.ExpiresAt ?? '', CreatedAt: t.CreatedAt });

/** A directory user's caller; the operator's own access (root, a machine certificate) holds no tokens. */
export function directoryUser(caller: Caller): string {
  if (caller.Auth === 'unix-socket' || caller.Auth === 'insecure-api') throw new ForbiddenError(`${caller.User} (${caller.Auth}) is not a user of the directory: tokens and sessions belong to users (berth user create)`);
  return caller.User;
}

export function sessionRoutes(app: FastifyInstance, opts: DirectoryOptions & { limiter: LoginLimiter }): void {
  const { store, callerOf, limiter } = opts;
  const sourceOf = (request: FastifyRequest): string => {
    try {
      return callerOf(request).Source;
    } catch {
      return request.ip;
    }
  };

  app.post('/berth/v1/login', async (request) => {
    const b = objectBody(request);
    if (typeof b.Username !== 'string' || typeof b.Password !== 'string') throw new InvalidArgumentError('give Username and Password (strings)');
    const name = b.Username.slice(0, 255);
    // Through a follower the client's address, not the follower's, is what is limited.
    const source = sourceOf(request);
    limiter.check(name, source);
    const user = store.view((tx) => tx.users.byName(name));
    if (!user || !(await checkLogin(user, b.Password))) {
      limiter.failed(name, source);
      throw new UnauthorizedError(BAD_LOGIN);
    }
    limiter.succeeded(name, source);
    if (user.Spec.Disabled) throw new UnauthorizedError(`user ${name} is disabled: ask an administrator`);
    const expires = new Date(Date.now() + SESSION_MS).toISOString();
    const { secret } = store.update((tx) => issueToken(tx, { User: name, Kind: 'session', Name: 'berth login', ExpiresAt: expires }));
    return { Token: secret, ExpiresAt: expires, User: name };
  });

  app.post('/berth/v1/logout', async (request, reply) => {
    const caller = callerOf(request);
    if (caller.Auth !== 'session') throw new InvalidArgumentError('this request did not come with a session: revoke a token with berth token revoke');
    const secret = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')![1]!;
    store.update((tx) => tx.apiTokens.delete(findToken(tx, secret).ID));
    return reply.code(204).send();
  });

  app.get('/berth/v1/whoami', async (request) => {
    const c = callerOf(request);
    return { User: c.User, Auth: c.Auth, Role: c.Role ?? '', Teams: c.Teams };
  });

  app.get<{ Querystring: { user?: string } }>('/berth/v1/tokens', async (request) => {
    const caller = callerOf(request);
    const user = request.query.user;
    if (user !== undefined && user !== caller.User && caller.Role !== 'admin') throw new ForbiddenError(`only an administrator may list the tokens of ${user}`);
    const mine = user ?? (caller.Role === 'admin' ? undefined : directoryUser(caller));
    return store.view((tx) => (mine === undefined ? tx.apiTokens.list() : tx.apiTokens.byUser(mine))).sort((a, b) => a.CreatedAt.localeCompare(b.CreatedAt)).map(tokenView);
  });

  app.post('/berth/v1/tokens', async (request, reply) => {
    const caller = callerOf(request);
    const user = directoryUser(caller);
    const b = objectBody(request);
    if (typeof b.Name !== 'string' || !TOKEN_NAME.test(b.Name)) throw new InvalidArgumentError('Name: 1 to 64 letters, digits, "_", "." or "-", starting with a letter or digit (e.g. ci-deploy)');
    // Never stronger than what makes it: a viewer certificate of an admin makes viewer tokens.
    const asked = b.Role === undefined ? caller.Role : checkClusterRole(b.Role);
    if (b.Role !== undefined && !asked) throw new InvalidArgumentError('Role: a token takes viewer, operator or admin (it is never more than your own role)');
    const role = caller.Role ? lesser(asked, caller.Role) : undefined;
    const ttl = expiry(b.ExpiresIn);
    const expires = new Date(Date.now() + ttl).toISOString();
    const made = store.update((tx) => {
      if (tx.apiTokens.byUser(user).some((t) => t.Spec.Kind === 'token' && t.Spec.Name === b.Name)) throw new InvalidArgumentError(`Name: you already have a token named ${b.Name as string}: pick another, or revoke it first`);
      return issueToken(tx, { User: user, Kind: 'token', Name: b.Name as string, ...(role && { Role: role }), ExpiresAt: expires });
    });
    return reply.code(201).send({ ...tokenView(made.token), Token: made.secret });
  });

  app.delete<{ Params: { id: string } }>('/berth/v1/tokens/:id', async (request, reply) => {
    const caller = callerOf(request);
    store.update((tx) => {
      const token = tx.apiTokens.get(request.params.id);
      // Another user's token is as unknown as a missing one, unless an administrator asks.
      if (!token || (token.Spec.User !== caller.User && caller.Role !== 'admin')) throw new NotFoundError(`token ${request.params.id} not found: list yours with berth token ls`);
      tx.apiTokens.delete(token.ID);
    });
    return reply.code(204).send();
  });
}

function expiry(value: unknown): number {
  if (value === undefined) return TOKEN_DEFAULT_MS;
  let ms: number;
  try {
    if (typeof value !== 'string') throw new Error();
    ms = parseDuration(value);
  } catch {
    throw new InvalidArgumentError('ExpiresIn: a duration such as 720h (at most 8784h, a year)');
  }
  if (ms <= 0 || ms > TOKEN_MAX_MS) throw new InvalidArgumentError('ExpiresIn: a duration such as 720h (at most 8784h, a year)');
  return ms;
}
