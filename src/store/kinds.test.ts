import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { defineKind, Store, type Change, type Tx } from './index.js';
import { openTestStore } from '../../test/helpers/store.js';
import { NameConflictError, type Meta } from '../types/index.js';

// A kind this test module owns, registered the way a subsystem's kinds.ts registers its own.
interface Widget extends Meta {
  Spec: { Name: string; Color: string };
  Shelf?: string;
}
declare module './index.js' {
  interface KindTypes {
    testWidget: { object: Widget; accessor: 'testWidgets'; named: true; indexes: 'byColor' | 'byShelf' };
  }
}
defineKind({ kind: 'testWidget', accessor: 'testWidgets', named: true, sealed: true, indexes: { byColor: (w) => w.Spec.Color, byShelf: (w) => w.Shelf } });

const widget = (id: string, name: string, color: string, shelf?: string): Widget => ({ ID: id, Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: { Name: name, Color: color }, Shelf: shelf });
const ids = (ws: Widget[]): string[] => ws.map((w) => w.ID).sort();

function withDir(fn: (dir: string) => void | Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-kinds-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test('a registered kind gets a table with byName, its indexes, versions, rollback and watch changes', async () => {
  const store = await openTestStore();
  const watcher = store.watch();
  const a = store.update((tx) => tx.testWidgets.create(widget('w1', 'left', 'red', 'top')));
  store.update((tx) => tx.testWidgets.create(widget('w2', 'right', 'red')));
  assert.equal(a.Version.Index, 1);
  assert.equal(store.view((tx) => tx.testWidgets.byName('right'))?.ID, 'w2');
  assert.deepEqual(store.view((tx) => ids(tx.testWidgets.byColor('red'))), ['w1', 'w2']);
  assert.deepEqual(store.view((tx) => ids(tx.testWidgets.byShelf('top'))), ['w1']);

  // Indexes follow an update; a duplicate name is refused and the whole transaction undone.
  store.update((tx) => tx.testWidgets.update({ ...a, Spec: { Name: 'left', Color: 'blue' }, Shelf: 'low' }));
  assert.throws(
    () =>
      store.update((tx) => {
        tx.testWidgets.create(widget('w3', 'third', 'red'));
        tx.testWidgets.create(widget('w4', 'right', 'green'));
      }),
    (err: Error) => err instanceof NameConflictError && err.message === 'testWidget right already exists',
  );
  assert.deepEqual(store.view((tx) => ids(tx.testWidgets.byColor('red'))), ['w2'], 'w3 was rolled back');
  assert.deepEqual(store.view((tx) => ids(tx.testWidgets.byColor('blue'))), ['w1']);
  assert.deepEqual(store.view((tx) => ids(tx.testWidgets.byShelf('low'))), ['w1']);
  assert.equal(store.view((tx) => tx.testWidgets.byShelf('top').length), 0);
  store.update((tx) => tx.testWidgets.delete('w2'));
  assert.equal(store.view((tx) => tx.testWidgets.byName('right')), undefined);

  const seen: string[] = [];
  for (const c of watcher.drain().flatMap((commit) => commit.changes)) {
    if (c.kind === 'testWidget') seen.push(`${c.action} ${c.object.ID} ${c.object.Spec.Color}`);
  }
  assert.deepEqual(seen, ['create w1 red', 'create w2 red', 'update w1 blue', 'delete w2 red']);
  watcher.close();
  store.close();
});

test('a kind defined sealed is encrypted in the file, survives a reopen, and a leaked tx writes nothing', withDir((dir) => {
  const path = join(dir, 'state.db');
  const key = randomBytes(32);
  const a = new Store({ path, key });
  let leaked: Tx | undefined;
  a.update((tx) => {
    leaked = tx;
    tx.testWidgets.create(widget('w1', 'hidden-name', 'octarine', 'attic'));
    tx.configs.create({ ID: 'c1', Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: { Name: 'plain-name', Data: 'eA==' } });
  });
  assert.throws(() => leaked!.testWidgets.create(widget('w2', 'late', 'red')), /store: a testWidget written after its update returned/);
  a.close();
  const raw = new Database(path, { readonly: true });
  const rows = raw.prepare('SELECT kind, data FROM objects ORDER BY kind').all() as { kind: string; data: string }[];
  raw.close();
  assert.deepEqual(rows.map((r) => r.kind), ['config', 'testWidget'], 'the leaked write reached nothing');
  assert.ok(rows[0]!.data.includes('plain-name'), 'configs are not sealed');
  assert.ok(!rows[1]!.data.includes('hidden-name') && !rows[1]!.data.includes('octarine'), 'the widget row is sealed');
  const b = new Store({ path, key });
  assert.equal(b.view((tx) => tx.testWidgets.byColor('octarine')[0]?.Spec.Name), 'hidden-name');
  assert.equal(b.view((tx) => tx.testWidgets.byShelf('attic')[0]?.ID), 'w1');
  b.close();
}));

test('registering a kind again with another definition throws; the same definition is a no-op', () => {
  const conflicts: [string, () => void][] = [
    ['not sealed', () => defineKind({ kind: 'testWidget', accessor: 'testWidgets', named: true, indexes: { byColor: (w) => w.Spec.Color, byShelf: (w) => w.Shelf } })],
    ['another index key', () => defineKind({ kind: 'testWidget', accessor: 'testWidgets', named: true, sealed: true, indexes: { byColor: (w) => w.Spec.Name, byShelf: (w) => w.Shelf } })],
    ['a core kind sealed', () => defineKind({ kind: 'node', accessor: 'nodes', sealed: true })],
    ['a core kind named', () => defineKind({ kind: 'config', accessor: 'configs' } as never)],
  ];
  for (const [what, define] of conflicts) assert.throws(define, /^Error: store: kind \w+ is already registered with another definition$/, what);
  defineKind({ kind: 'testWidget', accessor: 'testWidgets', named: true, sealed: true, indexes: { byColor: (w) => w.Spec.Color, byShelf: (w) => w.Shelf } });
  defineKind({ kind: 'node', accessor: 'nodes' });
});

test('a new kind is refused once a store has opened, and so are a taken accessor and reserved names', async () => {
  (await openTestStore()).close();
  const define = (def: object): void => defineKind(def as never);
  assert.throws(() => define({ kind: 'testLate', accessor: 'testLates' }), /kind testLate was registered after a store opened; import its kinds module before the store is created/);
  // Its names are checked first: a mistake there is reported as such.
  assert.throws(() => define({ kind: 'testLate', accessor: 'nodes' }), /kind testLate takes the accessor nodes of kind node/);
  assert.throws(() => define({ kind: 'testLate', accessor: 'cluster' }), /cannot use the accessor cluster/);
  for (const index of ['byName', 'color', 'by']) {
    assert.throws(() => define({ kind: 'testLate', accessor: 'testLates', indexes: { [index]: () => 'x' } }), new RegExp(`index ${index} must be named by<Field>, and not byName`));
  }
});

test('rows of a kind nobody registered stay in the file, untouched, across commits and reopens', withDir((dir) => {
  const path = join(dir, 'state.db');
  new Store({ path }).close();
  const foreign = [
    { kind: 'fromANewerBerth', id: 'f1', data: '{"ID":"f1","Spec":{"Name":"web"}}' },
    { kind: 'fromANewerBerth', id: 'f2', data: 'aes256gcm:c2VhbGVkIHdpdGggYSBrZXkgdGhpcyBzdG9yZSBkb2VzIG5vdCBoYXZl' },
    { kind: 'testUnregistered', id: 'web', data: 'not even JSON' },
  ];
  const db = new Database(path);
  const insert = db.prepare('INSERT INTO objects (kind, id, data) VALUES (?, ?, ?)');
  for (const r of foreign) insert.run(r.kind, r.id, r.data);
  db.close();

  // Opened without a key, a sealed row of an unknown kind is no reason to refuse to start.
  const a = new Store({ path });
  const changes: Change[] = [];
  const watcher = a.watch();
  a.update((tx) => tx.configs.create({ ID: 'web', Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: { Name: 'web', Data: 'eA==' } }));
  a.update((tx) => tx.configs.delete('web'));
  for (const c of watcher.drain()) changes.push(...c.changes);
  assert.deepEqual(changes.map((c) => `${c.kind} ${c.action}`), ['config create', 'config delete']);
  a.close();
  const b = new Store({ path });
  assert.equal(b.index, 2);
  b.close();

  const raw = new Database(path, { readonly: true });
  const rows = raw.prepare('SELECT kind, id, data FROM objects ORDER BY kind, id').all();
  raw.close();
  assert.deepEqual(rows, foreign);
}));
