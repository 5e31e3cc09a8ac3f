import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProjectRole, RegistryProject, RegistryRobot, User } from '../../types/index.js';
import { ANONYMOUS, allowedActions, type Caller } from './permissions.js';

const meta = { ID: 'x', Version: { Index: 1 }, CreatedAt: '', UpdatedAt: '' };
const project = (name: string, isPublic: boolean, members: [string, ProjectRole][] = []): RegistryProject => ({
  ...meta,
  Spec: { Name: name, Public: isPublic, QuotaBytes: -1, Members: members.map(([User, Role]) => ({ User, Role })) },
});
const user = (name: string, admin = false): Caller => ({ kind: 'user', user: { ...meta, Spec: { Name: name, ...(admin && { Role: 'admin' as const }), PasswordHash: '' } } as User, teams: [] });
const robot = (name: string, permissions: RegistryRobot['Spec']['Permissions']): Caller => ({
  kind: 'robot',
  robot: { ...meta, Spec: { Name: name, SecretHash: '', Disabled: false, Permissions: permissions } },
});

const team = project('team', false, [['pa', 'projectAdmin'], ['ma', 'maintainer'], ['dev', 'developer'], ['gu', 'guest']]);
const pub = project('pub', true, [['dev', 'developer']]);

test("Harbor's role matrix on a private project", () => {
  const cases: [Caller, string[]][] = [
    [user('pa'), ['pull', 'push', 'delete']],
    [user('ma'), ['pull', 'push', 'delete']],
    [user('dev'), ['pull', 'push']],
    [user('gu'), ['pull']],
    [user('stranger'), []],
    [user('root', true), ['pull', 'push', 'delete']],
    [ANONYMOUS, []],
  ];
  for (const [caller, want] of cases) assert.deepEqual(allowedActions(caller, team), want, JSON.stringify(caller));
});

test('anyone, even anonymous, pulls from a public project; only members push', () => {
  assert.deepEqual(allowedActions(ANONYMOUS, pub), ['pull']);
  assert.deepEqual(allowedActions(user('stranger'), pub), ['pull']);
  assert.deepEqual(allowedActions(user('dev'), pub), ['pull', 'push']);
});

test('nobody, not even an administrator, acts in a project that does not exist', () => {
  assert.deepEqual(allowedActions(user('root', true), undefined), []);
  assert.deepEqual(allowedActions(ANONYMOUS, undefined), []);
});

test("robots have their permissions' actions in the named project, or in every project with *", () => {
  const ci = robot('robot$team+ci', [{ Project: 'team', Actions: ['pull', 'push'] }]);
  assert.deepEqual(allowedActions(ci, team), ['pull', 'push']);
  assert.deepEqual(allowedActions(ci, project('other', false)), []);
  const all = robot('robot$sync', [{ Project: '*', Actions: ['pull'] }]);
  assert.deepEqual(allowedActions(all, team), ['pull']);
  assert.deepEqual(allowedActions(all, project('other', false)), ['pull']);
});
