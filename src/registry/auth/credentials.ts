// Who a request comes from: Basic credentials (a user's password or a robot's secret) checked
// against the store, a token's subject looked up again, or a platform token or session
// (`berth_...`, the manager's) looked up in the directory. Robots log in as `robot$...`.

import type { Store } from '../../store/index.js';
import { UnauthorizedError, type RegistryRobot, type User } from '../../types/index.js';
import type { LoginLimiter } from '../../users/login-limit.js';
import { checkLogin, verifySecret } from '../../users/passwords.js';
import { teamsOf } from '../../users/caller.js';
import { findToken } from '../../users/tokens.js';
import { ANONYMOUS, type Caller } from './permissions.js';

export interface BasicCredentials {
  username: string;
  password: string;
}

/** basicCredentials reads an `Authorization: Basic` header; undefined when there is none. */
export function basicCredentials(header: string | undefined): BasicCredentials | undefined {
  const m = /^basic\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) return undefined;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) throw new UnauthorizedError('malformed Basic credentials: send base64 of USER:PASSWORD');
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** bearerToken reads an `Authorization: Bearer` header. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1];
}

const BAD_LOGIN = 'invalid username or password';

/** Where a login comes from, for the failed-login limit (login-limit.ts). */
export interface LoginSource {
  limiter: LoginLimiter;
  address: string;
}

/**
 * authenticate checks credentials; it throws UnauthorizedError without saying which part was
 * wrong, and TooManyRequestsError once the account has failed too often from that address.
 */
export async function authenticate(store: Store, creds: BasicCredentials, from?: LoginSource, now = Date.now()): Promise<Caller> {
  from?.limiter.check(creds.username, from.address);
  try {
    const caller = await check(store, creds, now);
    from?.limiter.succeeded(creds.username, from.address);
    return caller;
  } catch (err) {
    if (err instanceof UnauthorizedError && err.message === BAD_LOGIN) from?.limiter.failed(creds.username, from.address);
    throw err;
  }
}

async function check(store: Store, creds: BasicCredentials, now: number): Promise<Caller> {
  if (creds.username.startsWith('robot$')) {
    const robot = store.view((tx) => tx.registryRobots.byName(creds.username));
    if (!robot || !verifySecret(creds.password, robot.Spec.SecretHash)) throw new UnauthorizedError(BAD_LOGIN);
    return { kind: 'robot', robot: usable(robot, now) };
  }
  const user = store.view((tx) => tx.users.byName(creds.username));
  if (!user || !(await checkLogin(user, creds.password))) throw new UnauthorizedError(BAD_LOGIN);
  return userCaller(store, enabled(user));
}

/**
 * callerOf finds the user or robot a token was issued to ("" = anonymous). A token works only
 * while its account could still log in: a removed account, or a robot disabled or expired since,
 * is refused at once rather than when the token expires.
 */
export function callerOf(store: Store, subject: string, now = Date.now()): Caller {
  if (subject === '') return ANONYMOUS;
  const gone = (): never => {
    throw new UnauthorizedError(`the account ${subject} no longer exists: log in again`);
  };
  if (subject.startsWith('robot$')) {
    const robot = store.view((tx) => tx.registryRobots.byName(subject)) ?? gone();
    return { kind: 'robot', robot: usable(robot, now) };
  }
  const user = store.view((tx) => tx.users.byName(subject)) ?? gone();
  return userCaller(store, enabled(user));
}

/** isPlatformToken: the platform's tokens and sessions start so; the registry's own tokens are JWTs. */
export const isPlatformToken = (bearer: string): boolean => bearer.startsWith('berth_');

/**
 * platformCaller is the user a platform token or session acts for, with the registry rights a
 * password login gives them under the token's role (Caller's `cap`). A revoked, expired or
 * mistyped token, or a disabled or removed user, is refused as the manager's API refuses it.
 */
export function platformCaller(store: Store, secret: string): { caller: Caller; kind: 'token' | 'session' } {
  return store.view((tx) => {
    const token = findToken(tx, secret);
    const user = tx.users.byName(token.Spec.User);
    if (!user) throw new UnauthorizedError(`user ${token.Spec.User} does not exist any more: ask an administrator`);
    const teams = teamsOf(tx, enabled(user)).map((t) => t.Team);
    return { caller: { kind: 'user', user, teams, ...(token.Spec.Role && { cap: token.Spec.Role }) }, kind: token.Spec.Kind };
  });
}

/** userCaller is a user with the teams they belong to (a project may grant a team a role). */
function userCaller(store: Store, user: User): Caller {
  return { kind: 'user', user, teams: store.view((tx) => teamsOf(tx, user)).map((t) => t.Team) };
}

/** enabled returns the user unless an administrator disabled them: their earlier tokens stop at once too. */
function enabled(user: User): User {
  if (user.Spec.Disabled) throw new UnauthorizedError(`user ${user.Spec.Name} is disabled: ask an administrator`);
  return user;
}

/** usable returns the robot while it may act (enabled, not expired), else refuses saying why. */
function usable(robot: RegistryRobot, now: number): RegistryRobot {
  if (robot.Spec.Disabled) throw new UnauthorizedError(`robot account ${robot.Spec.Name} is disabled`);
  if (robot.Spec.ExpiresAt && Date.parse(robot.Spec.ExpiresAt) <= now) throw new UnauthorizedError(`robot account ${robot.Spec.Name} expired at ${robot.Spec.ExpiresAt}`);
  return robot;
}

