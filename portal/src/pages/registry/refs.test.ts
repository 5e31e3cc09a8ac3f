import { test } from 'node:test';
import assert from 'node:assert/strict';
import { projectRights } from '../../api/registry-access';
import { pullCommand, quotaUse, repositoryLink, shortDigest } from './refs';

const D = `sha256:${'ab'.repeat(32)}`;

test('a pull command names the tag, else the digest', () => {
  assert.equal(pullCommand('127.0.0.1:5000', 'library/app', { tag: '1', digest: D }), 'docker pull 127.0.0.1:5000/library/app:1');
  assert.equal(pullCommand('10.0.0.5:5000', 'team/a/b', { digest: D }), `docker pull 10.0.0.5:5000/team/a/b@${D}`);
});

test('links keep a repository path readable; digests shorten as docker shows them', () => {
  assert.equal(repositoryLink('team', 'team/a/b'), '/registry/projects/team/repositories/team/a/b');
  assert.equal(shortDigest(D), 'abababababab');
});

test('quota use is a share of the quota, capped at 100; none without a quota', () => {
  assert.equal(quotaUse({ quotaBytes: -1, usedBytes: 5 }), undefined);
  assert.equal(quotaUse({ quotaBytes: 200, usedBytes: 50 }), 25);
  assert.equal(quotaUse({ quotaBytes: 100, usedBytes: 150 }), 100);
  assert.equal(quotaUse({ quotaBytes: 0, usedBytes: 0 }), 0);
});

test("a project's rights follow Harbor's roles; a cluster admin is the registry's system administrator", () => {
  const who = (Role: '' | 'viewer' | 'admin') => ({ User: 'u', Auth: 'session', Role, Teams: [] });
  const guest = projectRights(who('viewer'), { Public: false, CurrentUserRole: 'guest' });
  assert.deepEqual(guest, { pull: true, deleteTags: false, seeMembers: true, administer: false, retention: false, maintain: false, system: false });
  const maintainer = projectRights(who(''), { Public: false, CurrentUserRole: 'maintainer' });
  assert.equal(maintainer.deleteTags && maintainer.maintain && maintainer.retention && !maintainer.administer, true);
  assert.deepEqual(projectRights(who('viewer'), { Public: true }), { pull: true, deleteTags: false, seeMembers: false, administer: false, retention: false, maintain: false, system: false });
  assert.equal(projectRights(who('viewer'), { Public: false }).pull, false);
  assert.equal(Object.values(projectRights(who('admin'), { Public: false })).every(Boolean), true);
});
