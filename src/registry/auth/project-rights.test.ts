import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProjectRole, RegistryProject, RegistryRobot, User } from '../../types/index.js';
import { ROLES, type Caller } from './permissions.js';
import { ROLE_RIGHTS, leastRole, mayInProject, type ProjectResource, type ResourceAction } from './project-rights.js';

const meta = { ID: 'x', Version: { Index: 1 }, CreatedAt: '', UpdatedAt: '' };
const project = (isPublic: boolean, members: [string, ProjectRole][] = []): RegistryProject => ({
  ...meta,
  Spec: { Name: 'team', Public: isPublic, QuotaBytes: -1, Members: members.map(([User, Role]) => ({ User, Role })) },
});
const user = (name: string): Caller => ({ kind: 'user', user: { ...meta, Spec: { Name: name, PasswordHash: '' } } as User, teams: [] });
const robot: Caller = {
  kind: 'robot',
  robot: { ...meta, Spec: { Name: 'robot$team+ci', SecretHash: '', Disabled: false, Permissions: [{ Project: 'team', Actions: ['pull', 'push', 'delete'] }] } } as RegistryRobot,
};

test("the least role for each right the admin API asks is Harbor's (rbac_role.go)", () => {
  const rights: [ProjectResource, ResourceAction, ProjectRole][] = [
    ['project', 'read', 'guest'],
    ['project', 'update', 'projectAdmin'],
    ['project', 'delete', 'projectAdmin'],
    ['member', 'list', 'guest'],
    ['member', 'create', 'projectAdmin'],
    ['member', 'update', 'projectAdmin'],
    ['member', 'delete', 'projectAdmin'],
    ['quota', 'read', 'guest'],
    ['robot', 'list', 'guest'],
    ['robot', 'create', 'projectAdmin'],
    ['robot', 'update', 'projectAdmin'],
    ['robot', 'delete', 'projectAdmin'],
    ['tag-retention', 'read', 'developer'],
    ['tag-retention', 'update', 'developer'],
    ['tag-retention', 'list', 'developer'],
    ['immutable-tag', 'list', 'maintainer'],
    ['immutable-tag', 'update', 'maintainer'],
    ['notification-policy', 'list', 'maintainer'],
    ['notification-policy', 'read', 'maintainer'],
    ['notification-policy', 'create', 'projectAdmin'],
    ['notification-policy', 'update', 'projectAdmin'],
    ['notification-policy', 'delete', 'projectAdmin'],
  ];
  assert.deepEqual(
    rights.map(([resource, action]) => [resource, action, leastRole(resource, action)]),
    rights,
  );
});

test('each role holds every right of the roles below it', () => {
  for (const [i, role] of ROLES.entries()) {
    for (const lower of ROLES.slice(i + 1)) {
      for (const [resource, actions] of Object.entries(ROLE_RIGHTS[lower])) {
        for (const action of actions) assert.ok(ROLE_RIGHTS[role][resource as ProjectResource]?.includes(action), `${role} lacks ${resource}:${action} that ${lower} has`);
      }
    }
  }
});

test('a robot, whatever repository actions it holds, and a non-member only read a public project; members act by role', () => {
  const rights: [ProjectResource, ResourceAction][] = [['project', 'read'], ['member', 'list'], ['quota', 'read'], ['robot', 'list']];
  const of = (caller: Caller, p: RegistryProject) => rights.filter(([r, a]) => mayInProject(caller, p, r, a)).map(([r]) => r);
  assert.deepEqual(of(robot, project(false)), []);
  assert.deepEqual(of(robot, project(true)), ['project']);
  assert.deepEqual(of(user('stranger'), project(true)), ['project']);
  assert.deepEqual(of(user('gu'), project(false, [['gu', 'guest']])), ['project', 'member', 'quota', 'robot']);
});
