// Harbor's permission model for repositories: what a caller may do in a project. System
// administrators may do everything; members act by role; anyone (even anonymous) may pull from a
// public project; robots have the actions their permissions list for the project.

import type { ClusterRole, ProjectRole, RegistryProject, RegistryRobot, User } from '../../types/index.js';
import type { Action } from './access.js';

export const ALL_ACTIONS: readonly Action[] = ['pull', 'push', 'delete'];

/** Harbor's roles on artifacts: guest pulls, developer pushes, maintainer and project admin also delete. */
export const ROLE_ACTIONS: Readonly<Record<ProjectRole, readonly Action[]>> = {
  projectAdmin: ['pull', 'push', 'delete'],
  maintainer: ['pull', 'push', 'delete'],
  developer: ['pull', 'push'],
  guest: ['pull'],
};

/** Most to least powerful: each role holds every right of those after it. */
export const ROLES: readonly ProjectRole[] = ['projectAdmin', 'maintainer', 'developer', 'guest'];

/**
 * Who is asking, once authenticated. A user who came with a platform token or session has its
 * role as `cap` (src/users/tokens.ts): below admin it is no system administrator, and a viewer's
 * token reads only (guest at most in any project).
 */
export type Caller = { kind: 'anonymous' } | { kind: 'user'; user: User; teams: readonly string[]; cap?: ClusterRole } | { kind: 'robot'; robot: RegistryRobot };

export const ANONYMOUS: Caller = { kind: 'anonymous' };

export function callerName(caller: Caller): string {
  return caller.kind === 'user' ? caller.user.Spec.Name : caller.kind === 'robot' ? caller.robot.Spec.Name : '';
}

/** The project a project robot (`robot$<project>+<name>`) belongs to; undefined for a system robot. */
export function robotProject(name: string): string | undefined {
  const m = /^robot\$([^+]+)\+/.exec(name);
  return m?.[1];
}

/** isSystemAdmin: a cluster admin is the registry's system administrator, unless their token is capped below admin. */
export function isSystemAdmin(caller: Caller): boolean {
  return caller.kind === 'user' && caller.user.Spec.Role === 'admin' && (caller.cap === undefined || caller.cap === 'admin');
}

/** memberRole is the caller's role in the project — as a member, or through a team — the strongest if several. */
export function memberRole(caller: Caller, project: RegistryProject): ProjectRole | undefined {
  if (caller.kind !== 'user') return undefined;
  const roles = [
    ...project.Spec.Members.filter((m) => m.User === caller.user.Spec.Name).map((m) => m.Role),
    ...(project.Spec.Teams ?? []).filter((t) => caller.teams.includes(t.Team)).map((t) => t.Role),
  ];
  const role = ROLES.find((r) => roles.includes(r));
  return role && caller.cap === 'viewer' ? 'guest' : role;
}

/** allowedActions is what the caller may do on the repositories of `project` (none when it does not exist). */
export function allowedActions(caller: Caller, project: RegistryProject | undefined): Action[] {
  if (!project) return [];
  const allowed = new Set<Action>(project.Spec.Public ? ['pull'] : []);
  if (caller.kind === 'user') {
    if (isSystemAdmin(caller)) return [...ALL_ACTIONS];
    const role = memberRole(caller, project);
    for (const a of role ? ROLE_ACTIONS[role] : []) allowed.add(a);
  } else if (caller.kind === 'robot') {
    for (const p of caller.robot.Spec.Permissions) {
      if (p.Project === project.Spec.Name || p.Project === '*') for (const a of p.Actions) allowed.add(a);
    }
  }
  return ALL_ACTIONS.filter((a) => allowed.has(a));
}
