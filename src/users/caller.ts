// Who a request acts for: a user of the directory, with their cluster role — capped by what the
// certificate or token they came with allows — and their teams. A disabled or removed user is
// refused at once, whatever they hold.

import type { ReadTx } from '../store/index.js';
import { UnauthorizedError, type AuthMethod, type Caller, type ClusterRole, type TeamGrant, type User } from '../types/index.js';

const RANK: Record<ClusterRole, number> = { viewer: 0, operator: 1, admin: 2 };

/** lesser is the weaker of two roles (none is weaker than any). */
export function lesser(a: ClusterRole | undefined, b: ClusterRole | undefined): ClusterRole | undefined {
  if (!a || !b) return undefined;
  return RANK[a] <= RANK[b] ? a : b;
}

/** teamsOf lists the teams a user belongs to, by name or through an OIDC group, with the strongest role either gives. */
export function teamsOf(tx: ReadTx, user: User): TeamGrant[] {
  const groups = new Set(user.Spec.Oidc?.Groups ?? []);
  const order = ['viewer', 'operator', 'lead'] as const;
  const grants: TeamGrant[] = [];
  for (const team of tx.teams.list()) {
    const roles = [...team.Spec.Members.filter((m) => m.User === user.Spec.Name).map((m) => m.Role), ...(team.Spec.Groups ?? []).filter((g) => groups.has(g.Group)).map((g) => g.Role)];
    if (roles.length === 0) continue;
    const role = roles.reduce((a, b) => (order.indexOf(a) >= order.indexOf(b) ? a : b));
    grants.push({ Team: team.Spec.Name, Role: role, Stacks: team.Spec.Stacks });
  }
  return grants;
}

/**
 * userCaller is the caller a live user makes through `auth`, their role capped by `cap` (a
 * certificate's or token's role). It throws when the user is missing or disabled.
 */
export function userCaller(tx: ReadTx, name: string, auth: AuthMethod, cap?: ClusterRole): Caller {
  const user = tx.users.byName(name);
  if (!user) throw new UnauthorizedError(`user ${name} does not exist any more: ask an administrator`);
  if (user.Spec.Disabled) throw new UnauthorizedError(`user ${name} is disabled: ask an administrator`);
  const role = cap === undefined ? user.Spec.Role : lesser(user.Spec.Role, cap);
  return { User: name, Auth: auth, ...(role && { Role: role }), Teams: teamsOf(tx, user) };
}
