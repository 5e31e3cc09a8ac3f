// A project's repositories, a repository's artifacts and tags, and deleting a tag, over a real
// server and store (no auth here: rights are in auth/auth-http.test.ts).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '../../common/ids.js';
import type { Store } from '../../store/index.js';
import '../kinds.js';
import { openTestStore } from '../../../test/helpers/store.js';
import { desc, pushImage, req, startRegistry, type TestRegistry } from '../distribution/test-helpers.js';
import { OCI_INDEX, OCI_MANIFEST } from '../distribution/manifests.js';
import { immutabilityGuard, immutabilityRoutes } from '../policies/immutability.js';
import { repositoryRoutes } from './admin-repositories.js';

let reg: TestRegistry;
let store: Store;
const api = (method: string, path: string, body?: unknown) =>
  req(reg, method, `/berth/v1/registry${path}`, body === undefined ? {} : { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });

before(async () => {
  store = await openTestStore();
  reg = await startRegistry({ store, adminRoutes: [repositoryRoutes, immutabilityRoutes], guards: [immutabilityGuard(store)] });
  for (const name of ['library', 'team']) {
    store.update((tx) => tx.registryProjects.create({ ID: newId(), Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: { Name: name, Public: false, Members: [], QuotaBytes: -1 } }));
  }
});
after(async () => {
  await reg.close();
  store.close();
});

test("a project's repositories, with their artifact and tag counts; library's one-component names are its own", async () => {
  for (const name of ['nginx', 'library/nginx', 'team', 'team/app', 'team/a/b']) await pushImage(reg, name, 'v1', { seed: name });
  await pushImage(reg, 'team/app', 'v2', { seed: 'v2' });
  await pushImage(reg, 'team/app', 'latest', { seed: 'v2' });
  const team = await api('GET', '/projects/team/repositories');
  assert.equal(team.status, 200);
  assert.deepEqual(
    (team.json() as { Name: string; Artifacts: number; Tags: number; UpdatedAt: string }[]).map((r) => [r.Name, r.Artifacts, r.Tags, typeof r.UpdatedAt]),
    [
      ['team/a/b', 1, 1, 'string'],
      ['team/app', 2, 3, 'string'],
    ],
  );
  assert.deepEqual((await api('GET', '/projects/library/repositories')).json().map((r: { Name: string }) => r.Name), ['library/nginx', 'nginx', 'team']);
  assert.equal((await api('GET', '/projects/nope/repositories')).status, 404);
});

test("a repository's artifacts: digest, media type, size as a pull fetches it, push time and tags; an index with its entries", async () => {
  const v1 = await pushImage(reg, 'team/web', 'v1', { seed: 'web1' });
  const arm = await pushImage(reg, 'team/web', undefined, { seed: 'arm' });
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [desc(OCI_MANIFEST, v1.manifest, { platform: { architecture: 'amd64', os: 'linux' } }), desc(OCI_MANIFEST, arm.manifest, { platform: { architecture: 'arm64', os: 'linux' } })],
    }),
  );
  assert.equal((await req(reg, 'PUT', '/v2/team/web/manifests/multi', { body: index, headers: { 'Content-Type': OCI_INDEX } })).status, 201);
  const res = await api('GET', `/projects/team/repositories/${encodeURIComponent('team/web')}/artifacts`);
  assert.equal(res.status, 200, res.body.toString());
  const artifacts = res.json() as { Digest: string; MediaType: string; Size: number; PushedAt: string; Tags: { Name: string }[]; Children?: { Digest: string; Platform: string }[] }[];
  const imageSize = (i: typeof v1) => i.manifest.length + i.config.length + i.layers.reduce((n, l) => n + l.length, 0);
  const top = artifacts.find((a) => a.MediaType === OCI_INDEX)!;
  assert.deepEqual(top.Tags.map((t) => t.Name), ['multi']);
  assert.equal(top.Size, index.length + imageSize(v1) + imageSize(arm));
  assert.deepEqual(top.Children, [
    { Digest: v1.digest, Platform: 'linux/amd64' },
    { Digest: arm.digest, Platform: 'linux/arm64' },
  ]);
  // The tagged entry shows on its own too; the untagged one only under its index.
  assert.deepEqual(
    artifacts.map((a) => [a.Digest, a.Tags.map((t) => t.Name)]),
    [
      [top.Digest, ['multi']],
      [v1.digest, ['v1']],
    ].sort((a, b) => (a[0] === top.Digest ? -1 : b[0] === top.Digest ? 1 : 0)),
  );
  const one = artifacts.find((a) => a.Digest === v1.digest)!;
  assert.equal(one.Size, imageSize(v1));
  assert.ok(Date.now() - Date.parse(one.PushedAt) < 60_000);
});

test('repository names: the full name, in its own project, and there; bad ones are 400s naming the field', async () => {
  assert.equal((await api('GET', `/projects/team/repositories/nginx/artifacts`)).status, 404);
  assert.match((await api('GET', `/projects/library/repositories/${encodeURIComponent('team/app')}/artifacts`)).json().message, /^repository team\/app is in project team, not library/);
  assert.match((await api('GET', `/projects/team/repositories/${encodeURIComponent('team/none')}/artifacts`)).json().message, /^repository team\/none does not exist/);
  const bad = await api('GET', `/projects/team/repositories/${encodeURIComponent('team/Bad')}/artifacts`);
  assert.equal(bad.status, 400);
  assert.match(bad.json().message, /^repository: invalid repository name "team\/Bad"/);
});

test('deleting a tag leaves the artifact; a missing tag is 404, an immutable one 403 naming the rule', async () => {
  const path = `/projects/team/repositories/${encodeURIComponent('team/app')}/tags`;
  assert.equal((await api('DELETE', `${path}/latest`)).status, 204);
  assert.equal((await req(reg, 'GET', '/v2/team/app/manifests/latest')).status, 404);
  assert.equal((await req(reg, 'GET', '/v2/team/app/manifests/v2')).status, 200, 'the artifact stays under its other tag');
  const again = await api('DELETE', `${path}/latest`);
  assert.equal(again.status, 404);
  assert.match(again.json().message, /^tag latest is not in team\/app/);
  assert.equal((await api('PUT', '/projects/team/immutability', { Rules: [{ Repositories: '**', Tags: 'v*' }] })).status, 200);
  const refused = await api('DELETE', `${path}/v1`);
  assert.equal(refused.status, 403);
  assert.match(refused.json().message, /^tag team\/app:v1 is immutable \(immutability rule 1/);
  assert.match((await api('DELETE', `${path}/-v1`)).json().message, /^tag: "-v1" is not a tag/);
});
