// What the signed-in user may do, by the same rules as the API (src/access/matrix.ts): a
// cluster role's rights, and a team's on what the team owns. The portal hides what a user may
// not do; the API still refuses it.

import type { Whoami } from './types';

export type Right = 'read' | 'deploy' | 'administer';

const HELD: Record<string, readonly Right[]> = {
  viewer: ['read'],
  operator: ['read', 'deploy'],
  admin: ['read', 'deploy', 'administer'],
};
const TEAM_HELD: Record<string, readonly Right[]> = { viewer: ['read'], operator: ['read', 'deploy'], lead: ['read', 'deploy'] };

/** The team that owns an object, as the API decides it: its stack's team, else its berth.team label. */
export interface Owned {
  labels?: Record<string, string>;
}

export function can(who: Whoami | undefined, right: Right, owned?: Owned): boolean {
  if (!who) return false;
  if (who.Role && HELD[who.Role]?.includes(right)) return true;
  if (right === 'administer') return false;
  const labels = owned?.labels ?? {};
  const stack = labels['com.docker.stack.namespace'];
  return who.Teams.some((t) => TEAM_HELD[t.Role]?.includes(right) && (owned === undefined || labels['berth.team'] === t.Team || (stack !== undefined && t.Stacks.includes(stack))));
}
