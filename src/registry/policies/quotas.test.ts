// Project quotas: usage counting (shared blobs once per project), the guard refusing blob commits
// and manifest pushes over quota with DENIED, usage after deletes, and the quota admin API.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newId } from '../../common/ids.js';
import { silentLogger } from '../../common/log.js';
import type { Store } from '../../store/index.js';
import { openTestStore } from '../../../test/helpers/store.js';
import '../kinds.js';
import { RegistryEvents } from '../events.js';
import { FilesystemDriver } from '../storage/filesystem-driver.js';
import { OCI_MANIFEST } from '../distribution/manifests.js';
import { quotaRoutes } from './quota-routes.js';
import { bytes, QuotaGuard } from './quotas.js';
import { desc, pushBlob, pushImage, req, sha256, startRegistry, withQuery, type TestRegistry } from '../distribution/test-helpers.js';
import { UsageAccountant } from './usage.js';

const json = { 'Content-Type': 'application/json' };

describe('project quotas', () => {
  let reg: TestRegistry;
  let store: Store;
  let usage: UsageAccountant;
  let dir: string;

  const createProject = (name: string, quota: number): void => {
    store.update((tx) =>
      tx.registryProjects.create({
        ID: newId(),
        Version: { Index: 0 },
        CreatedAt: '',
        UpdatedAt: '',
        Spec: { Name: name, Public: false, Members: [], QuotaBytes: quota },
      }),
    );
  };
  const quotaOf = async (name: string) => (await req(reg, 'GET', `/berth/v1/registry/projects/${name}/quota`)).json();
  const size = (...parts: Array<Buffer | string>): number => parts.reduce((n, p) => n + Buffer.byteLength(p), 0);

  before(async () => {
    store = await openTestStore();
    const events = new RegistryEvents(silentLogger());
    dir = await mkdtemp(join(tmpdir(), 'berth-registry-quotas-'));
    usage = new UsageAccountant(await FilesystemDriver.open(join(dir, 'storage')), events);
    reg = await startRegistry({ events, store, guards: [new QuotaGuard(store, usage, events)], adminRoutes: [quotaRoutes(usage)] }, dir);
    events.on((e) => reg.events.push(e));
  });
  after(async () => {
    await reg.close();
    store.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('usage counts each blob a project\'s manifests reference once, across its repositories; one-component names are in library', async () => {
    createProject('count', -1);
    const a = await pushImage(reg, 'count/a', 'v1', { seed: 'shared' });
    // The same image in another repository of the project adds only nothing; another project is separate.
    await pushImage(reg, 'count/b', 'v1', { seed: 'shared' });
    await pushImage(reg, 'elsewhere/c', 'v1', { seed: 'shared' });
    await pushBlob(reg, 'count/a', 'a blob no manifest references');
    const expected = size(a.manifest, a.config, ...a.layers);
    assert.deepEqual(await quotaOf('count'), { project: 'count', quotaBytes: -1, usedBytes: expected, blobs: 4, manifests: 2 });

    createProject('library', -1);
    const top = await pushImage(reg, 'toplevel', 'v1', { seed: 'top' });
    const nested = await pushImage(reg, 'library/nested', 'v1', { seed: 'nested' });
    const lib = await quotaOf('library');
    assert.equal(lib.usedBytes, size(top.manifest, top.config, ...top.layers, nested.manifest, nested.config, ...nested.layers));
  });

  test('a manifest push over quota is refused with DENIED naming the project, quota and usage, writes nothing and emits quotaExceeded', async () => {
    createProject('tight', -1);
    const first = await pushImage(reg, 'tight/app', 'v1', { seed: 'first' });
    const used = size(first.manifest, first.config, ...first.layers);
    const set = await req(reg, 'PUT', '/berth/v1/registry/projects/tight/quota', { body: JSON.stringify({ quotaBytes: used + 50 }), headers: json });
    assert.equal(set.status, 200, set.body.toString());
    assert.equal(set.json().usedBytes, used);

    const config = Buffer.from('{"second":true}');
    const layer = Buffer.from('x'.repeat(40));
    // The blobs alone fit (each is checked on its own, against the manifests' usage).
    for (const b of [config, layer]) await pushBlob(reg, 'tight/app', b);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: desc('application/vnd.oci.image.config.v1+json', config),
        layers: [desc('application/vnd.oci.image.layer.v1.tar', layer)],
      }),
    );
    reg.events.length = 0;
    const put = await req(reg, 'PUT', '/v2/tight/app/manifests/v2', { body: manifest, headers: { 'Content-Type': OCI_MANIFEST } });
    assert.equal(put.status, 403);
    assert.deepEqual(put.codes(), ['DENIED']);
    const message = put.json().errors[0].message as string;
    assert.match(message, new RegExp(`project tight uses ${used} bytes of its quota of ${used + 50} bytes`));
    assert.match(message, new RegExp(`adds ${size(manifest, config, layer)} bytes`));
    assert.equal((await req(reg, 'GET', '/v2/tight/app/manifests/v2')).status, 404);
    assert.deepEqual(
      reg.events.map((e) => [e.action, e.target, e.repository, e.digest]),
      [['quotaExceeded', 'manifest', 'tight/app', sha256(manifest)]],
    );
    assert.equal((await quotaOf('tight')).usedBytes, used);

    // Tagging what the project already holds adds nothing, so it is allowed even at the limit.
    const retag = await req(reg, 'PUT', '/v2/tight/app/manifests/again', { body: first.manifest, headers: { 'Content-Type': OCI_MANIFEST } });
    assert.equal(retag.status, 201);

    // A blob that alone would exceed the quota is refused when committed.
    const big = 'y'.repeat(100);
    const start = await req(reg, 'POST', `/v2/tight/app/blobs/uploads/?digest=${sha256(big)}`, { body: big });
    assert.equal(start.status, 403);
    assert.match(start.json().errors[0].message, /quota exceeded: project tight/);
    assert.equal((await req(reg, 'HEAD', `/v2/tight/app/blobs/${sha256(big)}`)).status, 404);
    // Through an upload session too; the refused session is discarded, so nothing of it lingers.
    const session = (await req(reg, 'POST', '/v2/tight/app/blobs/uploads/')).headers.get('location')!;
    assert.equal((await req(reg, 'PATCH', session, { body: big })).status, 202);
    const close = await req(reg, 'PUT', withQuery(session, { digest: sha256(big) }));
    assert.equal(close.status, 403);
    assert.deepEqual(close.codes(), ['DENIED']);
    assert.equal((await req(reg, 'GET', session)).status, 404);

    // Deleting the first image frees its bytes; the second then fits.
    assert.equal((await req(reg, 'DELETE', `/v2/tight/app/manifests/${first.digest}`)).status, 202);
    assert.equal((await quotaOf('tight')).usedBytes, 0);
    const retry = await req(reg, 'PUT', '/v2/tight/app/manifests/v2', { body: manifest, headers: { 'Content-Type': OCI_MANIFEST } });
    assert.equal(retry.status, 201);
    assert.equal((await quotaOf('tight')).usedBytes, size(manifest, config, layer));
  });

  test('two pushes at once that each fit the quota but not together: one lands, the other is refused', async () => {
    createProject('race', -1);
    const images = ['race one', 'race two'].map((seed) => {
      const config = Buffer.from(JSON.stringify({ seed }));
      const layer = Buffer.from(`the one layer of ${seed}`);
      const manifest = Buffer.from(
        JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: desc('application/vnd.oci.image.config.v1+json', config), layers: [desc('application/vnd.oci.image.layer.v1.tar', layer)] }),
      );
      return { config, layer, manifest, size: size(config, layer, manifest) };
    });
    for (const [i, img] of images.entries()) for (const b of [img.config, img.layer]) await pushBlob(reg, `race/app${i}`, b);
    const quota = Math.max(...images.map((i) => i.size)) + 10;
    assert.equal((await req(reg, 'PUT', '/berth/v1/registry/projects/race/quota', { body: JSON.stringify({ quotaBytes: quota }), headers: json })).status, 200);
    const results = await Promise.all(
      images.map((img, i) => req(reg, 'PUT', `/v2/race/app${i}/manifests/v1`, { body: img.manifest, headers: { 'Content-Type': OCI_MANIFEST } })),
    );
    assert.deepEqual(results.map((r) => r.status).sort(), [201, 403]);
    const refused = results.find((r) => r.status === 403)!;
    assert.match(refused.json().errors[0].message, /quota exceeded: project race uses/);
    assert.ok((await quotaOf('race')).usedBytes <= quota, 'the quota holds');
  });

  test('projects without a quota, or not in the store, take any push', async () => {
    createProject('free', -1);
    await pushImage(reg, 'free/app', 'v1');
    await pushImage(reg, 'unknownproject/app', 'v1');
  });

  test('the quota API checks its input and names the fix', async () => {
    createProject('api', -1);
    for (const body of ['{}', '{"quotaBytes":-2}', '{"quotaBytes":1.5}', '{"quotaBytes":"10"}']) {
      const res = await req(reg, 'PUT', '/berth/v1/registry/projects/api/quota', { body, headers: json });
      assert.equal(res.status, 400, body);
      assert.match(res.json().message, /quotaBytes must be a whole number of bytes, or -1/);
    }
    const missing = await req(reg, 'PUT', '/berth/v1/registry/projects/nope/quota', { body: '{"quotaBytes":1}', headers: json });
    assert.equal(missing.status, 404);
    assert.match(missing.json().message, /project nope does not exist/);
    assert.equal((await req(reg, 'GET', '/berth/v1/registry/projects/nope/quota')).status, 404);
    const before = store.view((tx) => tx.registryProjects.byName('api'))!.Version.Index;
    assert.equal((await req(reg, 'PUT', '/berth/v1/registry/projects/api/quota', { body: '{"quotaBytes":2048}', headers: json })).status, 200);
    const after = store.view((tx) => tx.registryProjects.byName('api'))!;
    assert.equal(after.Spec.QuotaBytes, 2048);
    assert.ok(after.Version.Index > before);
  });

  test('bytes reads well', () => {
    assert.equal(bytes(10), '10 bytes');
    assert.equal(bytes(1536), '1.5 KiB (1536 bytes)');
  });
});
