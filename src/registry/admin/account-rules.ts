// Field rules of the admin API (Harbor's), each failing with a message that names the field and
// the fix, and the shapes the API returns (never a password hash or a robot's secret hash).

import { InvalidArgumentError, type ProjectRole, type RegistryProject, type RegistryRobot, type User } from '../../types/index.js';
import { body, checkUserName, optionalBoolean, optionalString } from '../../users/rules.js';

export { body, checkUserName, optionalBoolean, optionalString };
import type { Action } from '../auth/access.js';
import { ALL_ACTIONS, ROLES } from '../auth/permissions.js';

/** Harbor's project name rule, which is also a valid first component of a repository name. */
const PROJECT_NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

export function checkProjectName(value: unknown, field = 'Name'): string {
  if (typeof value !== 'string' || value.length > 255 || !PROJECT_NAME.test(value)) {
    throw new InvalidArgumentError(`${field}: a project name is 1 to 255 lower-case letters and digits, separated by single '.', '_' or '-' (e.g. team-a)`);
  }
  return value;
}

export function checkRobotName(value: unknown, field = 'Name'): string {
  if (typeof value !== 'string' || value.length > 255 || !PROJECT_NAME.test(value)) {
    throw new InvalidArgumentError(`${field}: a robot name is lower-case letters and digits, separated by single '.', '_' or '-' (e.g. ci); Berth adds the robot$ prefix`);
  }
  return value;
}

export function checkRole(value: unknown, field = 'Role'): ProjectRole {
  if (typeof value !== 'string' || !ROLES.includes(value as ProjectRole)) throw new InvalidArgumentError(`${field}: use one of ${ROLES.join(', ')}`);
  return value as ProjectRole;
}

export function checkActions(value: unknown, field: string): Action[] {
  if (!Array.isArray(value) || value.length === 0 || value.some((a) => !ALL_ACTIONS.includes(a as Action))) {
    throw new InvalidArgumentError(`${field}: give a non-empty list of ${ALL_ACTIONS.join(', ')}`);
  }
  return ALL_ACTIONS.filter((a) => value.includes(a));
}

/** Harbor's view of a directory user: `Admin` is the cluster admin role (the manager API shows the full user). */
export const userView = (u: User) => ({ ID: u.ID, Name: u.Spec.Name, Email: u.Spec.Email ?? '', Admin: u.Spec.Role === 'admin', CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt });

export const projectView = (p: RegistryProject) => ({
  ID: p.ID,
  Name: p.Spec.Name,
  Public: p.Spec.Public,
  QuotaBytes: p.Spec.QuotaBytes,
  Members: p.Spec.Members,
  Teams: p.Spec.Teams ?? [],
  CreatedAt: p.CreatedAt,
  UpdatedAt: p.UpdatedAt,
});

export const robotView = (r: RegistryRobot) => ({
  ID: r.ID,
  Name: r.Spec.Name,
  Description: r.Spec.Description ?? '',
  ExpiresAt: r.Spec.ExpiresAt ?? '',
  Disabled: r.Spec.Disabled,
  Permissions: r.Spec.Permissions,
  CreatedAt: r.CreatedAt,
  UpdatedAt: r.UpdatedAt,
});
