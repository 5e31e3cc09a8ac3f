// Field rules for users and teams (Harbor's name rule, shared with the registry), each failing
// with a message that names the field and the fix, and the views the APIs return (never a hash).

import type { FastifyRequest } from 'fastify';
import { InvalidArgumentError, type ClusterRole, type Team, type TeamRole, type User } from '../types/index.js';

const NAME = /^[a-z0-9][a-z0-9._-]{0,254}$/;
const CLUSTER_ROLES: readonly ClusterRole[] = ['viewer', 'operator', 'admin'];
export const TEAM_ROLES: readonly TeamRole[] = ['viewer', 'operator', 'lead'];

export function checkUserName(value: unknown, field = 'Name'): string {
  if (typeof value !== 'string' || !NAME.test(value)) {
    throw new InvalidArgumentError(`${field}: a user name is 1 to 255 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit (e.g. alice)`);
  }
  return value;
}

export function checkTeamName(value: unknown, field = 'Name'): string {
  if (typeof value !== 'string' || value.length > 63 || !NAME.test(value)) {
    throw new InvalidArgumentError(`${field}: a team name is 1 to 63 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit (e.g. payments)`);
  }
  return value;
}

/** checkClusterRole takes a role, or "" / null for none (the user then acts through teams only). */
export function checkClusterRole(value: unknown, field = 'Role'): ClusterRole | undefined {
  if (value === '' || value === null) return undefined;
  if (typeof value !== 'string' || !CLUSTER_ROLES.includes(value as ClusterRole)) throw new InvalidArgumentError(`${field}: use one of ${CLUSTER_ROLES.join(', ')}, or "" for none (docs/access.md)`);
  return value as ClusterRole;
}

export function checkTeamRole(value: unknown, field = 'Role'): TeamRole {
  if (typeof value !== 'string' || !TEAM_ROLES.includes(value as TeamRole)) throw new InvalidArgumentError(`${field}: use one of ${TEAM_ROLES.join(', ')}`);
  return value as TeamRole;
}

/** body returns the request's JSON object, or fails saying one is needed. */
export function body(request: FastifyRequest): Record<string, unknown> {
  const value = request.body;
  if (value === undefined || value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidArgumentError('the request body must be a JSON object (Content-Type: application/json)');
  }
  return value as Record<string, unknown>;
}

export function optionalBoolean(value: unknown, field: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new InvalidArgumentError(`${field}: use true or false`);
  return value;
}

export function optionalString(value: unknown, field: string, max = 1024): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length > max) throw new InvalidArgumentError(`${field}: use a string of at most ${max} characters`);
  return value;
}

export const isAdmin = (user: User): boolean => user.Spec.Role === 'admin';

export const userView = (u: User) => ({
  ID: u.ID,
  Name: u.Spec.Name,
  Email: u.Spec.Email ?? '',
  Role: u.Spec.Role ?? '',
  Admin: isAdmin(u),
  Disabled: u.Spec.Disabled ?? false,
  Source: u.Spec.Oidc ? 'oidc' : 'local',
  CreatedAt: u.CreatedAt,
  UpdatedAt: u.UpdatedAt,
});

export const teamView = (t: Team) => ({ ID: t.ID, Name: t.Spec.Name, Members: t.Spec.Members, Stacks: t.Spec.Stacks, Groups: t.Spec.Groups ?? [], CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt });
