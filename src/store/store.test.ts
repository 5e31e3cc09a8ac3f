import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from './index.js';
import { openTestStore } from '../../test/helpers/store.js';
import { NameConflictError, VersionConflictError, type Service } from '../types/index.js';

function service(id: string, name: string): Service {
  return { ID: id, Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: { Name: name }, BerthSpecVersion: 0 };
}

test('create sets version to the commit index; stale update is a conflict', async () => {
  const store = await openTestStore();
  const created = store.update((tx) => tx.services.create(service('s1', 'web')));
  assert.equal(created.Version.Index, 1);
  assert.equal(store.index, 1);
  const updated = store.update((tx) => tx.services.update({ ...created, Spec: { Name: 'web', Labels: { a: 'b' } } }));
  assert.equal(updated.Version.Index, 2);
  assert.throws(() => store.update((tx) => tx.services.update({ ...created, Spec: { Name: 'web2' } })), VersionConflictError);
  assert.equal(store.view((tx) => tx.services.get('s1'))?.Spec.Labels?.a, 'b');
  store.close();
});

test('duplicate service name is a name conflict and a throw rolls back the whole transaction', async () => {
  const store = await openTestStore();
  store.update((tx) => tx.services.create(service('s1', 'web')));
  assert.throws(
    () =>
      store.update((tx) => {
        tx.services.create(service('s2', 'api'));
        tx.services.create(service('s3', 'web'));
      }),
    NameConflictError,
  );
  assert.equal(store.view((tx) => tx.services.get('s2')), undefined, 's2 must be rolled back');
  assert.equal(store.view((tx) => tx.services.byName('api')), undefined, 'index entry must be rolled back');
  assert.equal(store.index, 1);
  store.close();
});

test('watchers see every commit in order with no gap after viewAndWatch', async () => {
  const store = await openTestStore();
  store.update((tx) => tx.services.create(service('s0', 'zero')));
  const [count, watcher] = store.viewAndWatch((tx) => tx.services.count());
  assert.equal(count, 1);
  for (let i = 1; i <= 50; i++) store.update((tx) => tx.services.create(service(`s${i}`, `n${i}`)));
  store.update((tx) => tx.services.delete('s3'));
  const seen: number[] = [];
  for (let i = 0; i < 51; i++) {
    const c = await watcher.next();
    assert.ok(c);
    seen.push(c.index);
  }
  assert.deepEqual(seen, Array.from({ length: 51 }, (_, i) => i + 2));
  watcher.close();
  assert.equal(await watcher.next(), undefined);
  store.close();
});

test('indexes follow updates: tasks by service and by node', async () => {
  const store = await openTestStore();
  const base = { Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: {}, Status: { Timestamp: '', State: 'new' as const, Message: '' }, DesiredState: 'running' as const, BerthService: { Name: 'x', Labels: {} } };
  store.update((tx) => {
    tx.tasks.create({ ...base, ID: 't1', ServiceID: 'a', NodeID: '' });
    tx.tasks.create({ ...base, ID: 't2', ServiceID: 'a', NodeID: 'n1' });
  });
  const t1 = store.view((tx) => tx.tasks.get('t1'))!;
  store.update((tx) => tx.tasks.update({ ...t1, NodeID: 'n1' }));
  assert.deepEqual(store.view((tx) => tx.tasks.byNode('n1').map((t) => t.ID).sort()), ['t1', 't2']);
  assert.equal(store.view((tx) => tx.tasks.byService('a').length), 2);
  store.update((tx) => tx.tasks.delete('t2'));
  assert.deepEqual(store.view((tx) => tx.tasks.byNode('n1').map((t) => t.ID)), ['t1']);
  store.close();
});

test('committed writes survive reopening the SQLite file; objects are frozen', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-store-'));
  try {
    const path = join(dir, 'state.db');
    const a = new Store({ path });
    a.update((tx) => tx.services.create(service('s1', 'web')));
    a.update((tx) => tx.services.create(service('s2', 'api')));
    a.close();
    const b = new Store({ path });
    assert.equal(b.index, 2);
    const web = b.view((tx) => tx.services.byName('web'));
    assert.equal(web?.ID, 's1');
    assert.ok(Object.isFrozen(web));
    b.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('secrets are encrypted in the SQLite file and decrypt only with the same key', async () => {
  const { randomBytes } = await import('node:crypto');
  const Database = (await import('better-sqlite3')).default;
  const dir = mkdtempSync(join(tmpdir(), 'berth-store-'));
  try {
    const path = join(dir, 'state.db');
    const key = randomBytes(32);
    const plain = Buffer.from('hunter2-very-secret').toString('base64');
    const a = new Store({ path, key });
    a.update((tx) => tx.secrets.create({ ID: 'x1', Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: { Name: 'db-pass', Data: plain } }));
    a.update((tx) => tx.configs.create({ ID: 'c1', Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: { Name: 'db-pass', Data: 'eA==' } }));
    assert.throws(
      () => a.update((tx) => tx.secrets.create({ ID: 'x2', Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: { Name: 'db-pass' } })),
      NameConflictError,
    );
    a.close();
    const raw = new Database(path, { readonly: true });
    const rows = raw.prepare("SELECT data FROM objects WHERE kind = 'secret'").all() as { data: string }[];
    raw.close();
    assert.equal(rows.length, 1);
    assert.ok(!rows[0]!.data.includes(plain) && !rows[0]!.data.includes('db-pass'), 'the stored row is not readable');
    const b = new Store({ path, key });
    assert.equal(b.view((tx) => tx.secrets.byName('db-pass'))?.Spec.Data, plain);
    assert.equal(b.view((tx) => tx.configs.byName('db-pass'))?.ID, 'c1');
    b.close();
    assert.throws(() => new Store({ path, key: randomBytes(32) }), /does not decrypt with this key/);
    assert.throws(() => new Store({ path }), /encrypted and no key was given/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
