// What a successful login writes, in one transaction: the user (made on their first login, found
// by issuer and subject after that) with their groups as the provider says now, and a session
// that lives as long as the provider's access token, at most an hour.

import { newId } from '../../common/ids.js';
import type { Tx } from '../../store/index.js';
import { ForbiddenError, UnauthorizedError, type OidcConfig, type User } from '../../types/index.js';
import { issueToken } from '../tokens.js';
import { emailOf, groupsOf, subjectOf, usernameOf } from './claims.js';
import type { Tokens } from './provider.js';

export const OIDC_SESSION_MS = 3600_000;
export const SESSION_NAME = 'oidc';

export interface Session {
  Token: string;
  ExpiresAt: string;
  User: string;
}

export const sessionExpiry = (tokens: Tokens, now = Date.now()): string => new Date(now + Math.min(OIDC_SESSION_MS, (tokens.expiresIn ?? Infinity) * 1000)).toISOString();

export function findOidcUser(tx: Tx, issuer: string, subject: string): User | undefined {
  return tx.users.list().find((u) => u.Spec.Oidc?.Issuer === issuer && u.Spec.Oidc.Subject === subject);
}

/** signIn makes or updates the user the tokens name and issues their session. */
export function signIn(tx: Tx, config: OidcConfig, tokens: Tokens): Session {
  const issuer = config.Spec.Issuer;
  const subject = subjectOf(tokens.claims);
  const groups = groupsOf(tokens.claims, config.Spec.GroupsClaim);
  let user = findOidcUser(tx, issuer, subject);
  if (user) {
    if (user.Spec.Disabled) throw new UnauthorizedError(`user ${user.Spec.Name} is disabled: ask an administrator`);
    user = tx.users.update({ ...user, Spec: { ...user.Spec, Oidc: { Issuer: issuer, Subject: subject, Groups: groups } } });
  } else {
    const name = usernameOf(tokens.claims, config.Spec.UsernameClaim);
    const taken = tx.users.byName(name);
    if (taken) {
      const whose = taken.Spec.Oidc ? 'another account of the OIDC provider' : 'a local user';
      throw new ForbiddenError(`the user name ${name} is taken by ${whose}: an administrator can remove or rename that user (berth user rm ${name}), or set UsernameClaim to another claim`);
    }
    const email = emailOf(tokens.claims);
    user = tx.users.create({ ID: newId(), Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: { Name: name, ...(email && { Email: email }), Oidc: { Issuer: issuer, Subject: subject, Groups: groups } } });
  }
  const expires = sessionExpiry(tokens);
  const { secret } = issueToken(tx, { User: user.Spec.Name, Kind: 'session', Name: SESSION_NAME, ExpiresAt: expires, ...(tokens.refreshToken && { RefreshToken: tokens.refreshToken }) });
  return { Token: secret, ExpiresAt: expires, User: user.Spec.Name };
}
