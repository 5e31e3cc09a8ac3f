// Which managers an agent talks to, in which order, and where a follower's redirect may send it.
// Only the leader serves sessions, joins and renewals; the others answer 307 to the leader (or
// 503 during an election). A redirect changes only the address: every connection still checks
// the manager's certificate against the pinned roots and cluster, so it cannot lead elsewhere.

import { isHostPort } from '../../common/listen.js';
import { MAX_MANAGERS } from '../../types/index.js';
import type { Identity } from './identity.js';

/** Redirects followed for one request: a follower names the leader, which serves. */
export const MAX_REDIRECTS = 3;

/** redirectTarget is the HOST:PORT a 307's Location sends `path` to, when it is `https://HOST:PORT<path>`. */
export function redirectTarget(location: unknown, path: string): string | undefined {
  if (typeof location !== 'string' || !location.startsWith('https://') || !location.endsWith(path)) return undefined;
  const host = location.slice('https://'.length, location.length - path.length);
  return isHostPort(host) ? host : undefined;
}

/** validManagers is a manager's list of managers, if it is one: at most MAX_MANAGERS HOST:PORTs. */
export function validManagers(value: unknown): string[] | undefined {
  if (!Array.isArray(value) || value.length > MAX_MANAGERS || !value.every(isHostPort)) return undefined;
  return value;
}

/** The addresses a session tries in turn: the last leader, the managers it was told of, the one it joined. */
export function managerOrder(id: Pick<Identity, 'manager' | 'managers' | 'joined'>): string[] {
  return [...new Set([id.manager, ...id.managers, id.joined].filter(Boolean))];
}
