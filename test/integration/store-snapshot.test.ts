// Store backups and moves between real backends: a SQLite file's state, read as of one commit,
// restored into an empty etcd prefix and into an empty SQLite file, gives the same objects and
// index, with secrets still sealed in the backup; a target that holds a cluster, and files that
// are not backups, are refused naming why. See docs/store.md.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteBackend, Store, parseSnapshot, restoreInto, snapshotOf } from '../../src/store/index.js';
import { EtcdBackend } from '../../src/store/etcd-backend.js';
import { InvalidArgumentError } from '../../src/types/index.js';
import { addService, replicated } from '../helpers/objects.js';
import { tempDir } from '../helpers/berth.js';
import { startEtcd, type TestEtcd } from '../helpers/etcd.js';

describe('store snapshots between SQLite and etcd', { timeout: 60_000 }, () => {
  let etcd: TestEtcd;
  const dir = tempDir('snapshot');
  const key = randomBytes(32);
  const secret = Buffer.from('correct horse battery staple').toString('base64');

  before(async () => {
    etcd = await startEtcd();
  });
  after(async () => {
    await etcd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a SQLite state restored into etcd and into a new file is the same state; the backup holds no secret in the clear', async () => {
    const source = new Store({ path: join(dir, 'state.db'), key });
    addService(source, replicated('web', 3));
    source.update((tx) => tx.secrets.create({ ID: 's1', Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: { Name: 'db-pass', Data: secret } }));
    const index = source.index;
    source.close();

    const snapshot = snapshotOf(new SqliteBackend({ path: join(dir, 'state.db'), synchronous: 'FULL' }));
    assert.equal(snapshot.index, index);
    const text = JSON.stringify(snapshot);
    assert.ok(!text.includes(secret) && !text.includes('db-pass'), 'the secret stays sealed in the backup');
    const parsed = parseSnapshot(text, 'backup.json');

    for (const target of [await EtcdBackend.open({ endpoints: [etcd.url], prefix: '/restored/' }), new SqliteBackend({ path: join(dir, 'restored.db'), synchronous: 'FULL' })]) {
      await restoreInto(target, parsed, 'target');
      await target.close();
    }
    const onEtcd = new Store({ backend: await EtcdBackend.open({ endpoints: [etcd.url], prefix: '/restored/' }), key });
    const onFile = new Store({ path: join(dir, 'restored.db'), key });
    for (const s of [onEtcd, onFile]) {
      assert.equal(s.index, index);
      assert.equal(s.view((tx) => tx.services.byName('web')?.Spec.Mode?.Replicated?.Replicas), 3);
      assert.equal(s.view((tx) => tx.secrets.byName('db-pass')?.Spec.Data), secret);
      // And it goes on from there.
      addService(s, replicated('after', 1));
      await s.durable();
      assert.equal(s.index, index + 1);
    }
    onEtcd.close();
    onFile.close();
  });

  test('a target that holds a cluster, and a file that is not a backup, are refused saying why', async () => {
    const snapshot = snapshotOf(new SqliteBackend({ path: join(dir, 'state.db'), synchronous: 'FULL' }));
    const taken = await EtcdBackend.open({ endpoints: [etcd.url], prefix: '/restored/' });
    await assert.rejects(restoreInto(taken, snapshot, 'etcd prefix /restored/'), (err: Error) => {
      assert.ok(err instanceof InvalidArgumentError);
      assert.match(err.message, /^etcd prefix \/restored\/ already holds a cluster \(\d+ objects, commit \d+\): restore into an empty data directory or etcd prefix$/);
      return true;
    });
    await taken.close();
    assert.throws(() => parseSnapshot('{"format":"other"}', 'x.json'), /x\.json is not a Berth store backup \(format "other", expected berth-store\/1\)/);
    assert.throws(() => parseSnapshot('not json', 'y.json'), /y\.json is not a Berth store backup/);
    assert.throws(() => parseSnapshot('{"format":"berth-store/1","index":1,"rows":[{"kind":"../x","id":"1","data":"{}"}]}', 'z.json'), /z\.json: rows\[0\] is not a stored object/);
  });
});
