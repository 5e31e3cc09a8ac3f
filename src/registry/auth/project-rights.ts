// Harbor's rights on a project's own resources (the admin API's), as Harbor v2 grants them:
// each role has the (resource, action) pairs of its rolePoliciesMap (src/common/rbac/project/
// rbac_role.go), limited to the resources Berth serves; anyone may read a public project
// (rbac_util.go's publicProjectPolicies); robots hold only the repository actions they were given
// (security/robot/context.go), so on these resources they have a public project's rights only.
// Resource names are Harbor's (`project` stands for its ResourceSelf, "").

import type { ProjectRole, RegistryProject } from '../../types/index.js';
import { ROLES, memberRole, type Caller } from './permissions.js';

export type ProjectResource = 'project' | 'member' | 'quota' | 'robot' | 'tag-retention' | 'immutable-tag' | 'notification-policy';
export type ResourceAction = 'create' | 'read' | 'update' | 'delete' | 'list';

type Rights = Readonly<Partial<Record<ProjectResource, readonly ResourceAction[]>>>;

const ALL: readonly ResourceAction[] = ['create', 'read', 'update', 'delete', 'list'];
const VIEW: readonly ResourceAction[] = ['read', 'list'];

const GUEST: Rights = { project: ['read'], member: VIEW, quota: ['read'], robot: VIEW };
const DEVELOPER: Rights = { ...GUEST, 'tag-retention': ALL };
const MAINTAINER: Rights = { ...DEVELOPER, 'immutable-tag': ['create', 'update', 'delete', 'list'], 'notification-policy': VIEW };

export const ROLE_RIGHTS: Readonly<Record<ProjectRole, Rights>> = {
  projectAdmin: { ...MAINTAINER, project: ['read', 'update', 'delete'], member: ALL, robot: ALL, 'notification-policy': ALL },
  maintainer: MAINTAINER,
  developer: DEVELOPER,
  guest: GUEST,
};

const PUBLIC: Rights = { project: ['read'] };

const holds = (rights: Rights, resource: ProjectResource, action: ResourceAction): boolean => rights[resource]?.includes(action) ?? false;

/** mayInProject says whether a caller other than a system administrator may act on a project's resource. */
export function mayInProject(caller: Caller, project: RegistryProject, resource: ProjectResource, action: ResourceAction): boolean {
  if (project.Spec.Public && holds(PUBLIC, resource, action)) return true;
  const role = memberRole(caller, project);
  return role !== undefined && holds(ROLE_RIGHTS[role], resource, action);
}

/** leastRole is the least powerful role holding the right (every role above it holds it too). */
export function leastRole(resource: ProjectResource, action: ResourceAction): ProjectRole | undefined {
  return ROLES.findLast((role) => holds(ROLE_RIGHTS[role], resource, action));
}
