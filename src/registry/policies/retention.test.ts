// Retention over a real server and store: which repositories belong to a project, and a run
// leaving alone a tag that was pushed again after the run planned to delete it.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { newId } from '../../common/ids.js';
import { silentLogger } from '../../common/log.js';
import { Store, loadStoreKey } from '../../store/index.js';
import '../kinds.js';
import { BlobStore } from '../storage/blob-store.js';
import { RegistryEvents } from '../events.js';
import { ManifestStore } from '../storage/manifest-store.js';
import { Retention } from './retention.js';
import { pushImage, req, startRegistry, type TestRegistry } from '../distribution/test-helpers.js';

let reg: TestRegistry;
let store: Store;
let manifests: ManifestStore;
before(async () => {
  reg = await startRegistry();
  store = new Store({ path: join(reg.dir, 'registry.db'), key: loadStoreKey(reg.dir) });
  const events = new RegistryEvents(silentLogger());
  manifests = new ManifestStore(reg.driver, new BlobStore(reg.driver, events), events);
  for (const name of ['library', 'team']) {
    store.update((tx) =>
      tx.registryProjects.create({ ID: newId(), Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: { Name: name, Public: false, Members: [], QuotaBytes: -1 } }),
    );
  }
});
after(async () => {
  store.close();
  await reg.close();
});

test('a project holds the repositories under its name; library also holds the one-component names', async () => {
  for (const name of ['nginx', 'library/busybox', 'team', 'team/app', 'team/a/b', 'other/x']) await pushImage(reg, name, 'v1', { seed: name });
  const retention = new Retention(store, reg.driver, manifests, silentLogger());
  assert.deepEqual(await retention.repositories('library'), ['library/busybox', 'nginx', 'team']);
  assert.deepEqual(await retention.repositories('team'), ['team/a/b', 'team/app']);
});

test('deleteTag with the planned digest leaves a tag that was pushed again since', async () => {
  const first = await pushImage(reg, 'team/app', 'moving', { seed: 'first' });
  await pushImage(reg, 'team/app', 'moving', { seed: 'second' });
  await assert.rejects(manifests.deleteTag('team/app', 'moving', first.digest), { code: 'MANIFEST_UNKNOWN' });
  assert.equal((await req(reg, 'GET', '/v2/team/app/manifests/moving')).status, 200);
});
