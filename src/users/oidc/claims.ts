// Reading what the provider says about a user: their groups (a list of strings, bounded) and the
// name a new user gets. The provider is trusted to say who the user is, not to send sane sizes.

import { ForbiddenError } from '../../types/index.js';

export const MAX_GROUPS = 1000;
const MAX_GROUP = 255;
const NAME = /^[a-z0-9][a-z0-9._-]{0,254}$/;

export type Claims = Record<string, unknown>;

/** groupsOf reads the groups claim: absent is no group; anything but a bounded list of strings is refused. */
export function groupsOf(claims: Claims, claim: string): string[] {
  const value = claims[claim];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.length > MAX_GROUPS || value.some((g) => typeof g !== 'string' || g.length === 0 || g.length > MAX_GROUP)) {
    throw new ForbiddenError(`the provider's "${claim}" claim is not a list of at most ${MAX_GROUPS} group names (1 to ${MAX_GROUP} characters each): fix the provider's claim, or set GroupsClaim (berth oidc set --groups-claim)`);
  }
  return [...new Set(value as string[])].sort();
}

/** usernameOf is the name a first login creates: the configured claim, else the email, lower-cased; it must fit the directory's name rule. */
export function usernameOf(claims: Claims, claim: string): string {
  const raw = [claims[claim], claims.email].find((v) => typeof v === 'string' && v.length > 0) as string | undefined;
  if (raw === undefined) throw new ForbiddenError(`the provider sent neither a "${claim}" nor an "email" claim to name the user: set UsernameClaim (berth oidc set --username-claim) to a claim it sends`);
  const name = raw.toLowerCase();
  if (!NAME.test(name)) throw new ForbiddenError(`the provider names this user "${raw.slice(0, 64)}", which is not a user name (1 to 255 lower-case letters, digits, '.', '_' or '-'): set UsernameClaim to a claim that fits`);
  return name;
}

export function subjectOf(claims: Claims): string {
  const sub = claims.sub;
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 255) throw new ForbiddenError('the provider sent no usable "sub" claim');
  return sub;
}

export function emailOf(claims: Claims): string | undefined {
  return typeof claims.email === 'string' && claims.email.length <= 255 ? claims.email : undefined;
}
