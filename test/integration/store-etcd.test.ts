// The store on a real etcd (Debian's etcd-server on loopback): the same store, kinds and
// transactions as on SQLite, with commits persisted in etcd in order — reloaded whole by another
// store, sealed kinds unreadable in etcd, commits beyond etcd's request limits split, a pause of
// etcd waited out, and a second writer fenced off. See docs/store.md.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Etcd3 } from 'etcd3';
import { Store } from '../../src/store/index.js';
import { EtcdBackend } from '../../src/store/etcd-backend.js';
import { NotLeaderError, UnavailableError } from '../../src/types/index.js';
import { addNode, addService, replicated } from '../helpers/objects.js';
import { startEtcd, type TestEtcd } from '../helpers/etcd.js';

const until = async (ok: () => boolean, timeoutMs = 10_000): Promise<void> => {
  for (const deadline = Date.now() + timeoutMs; !ok(); await new Promise((r) => setTimeout(r, 20))) if (Date.now() > deadline) throw new Error('timed out');
};

describe('the store on etcd', { timeout: 120_000 }, () => {
  let etcd: TestEtcd;
  let raw: Etcd3;
  const key = randomBytes(32);
  let n = 0;
  /** A store on a prefix of its own (each test its own cluster), or on `prefix` when given. */
  const open = async (prefix = `/t${++n}/`): Promise<{ store: Store; prefix: string; backend: EtcdBackend }> => {
    const backend = await EtcdBackend.open({ endpoints: [etcd.url], prefix, requestTimeoutMs: 2_000 });
    return { store: new Store({ backend, key }), prefix, backend };
  };
  const names = (s: Store) => s.view((tx) => tx.services.list().map((x) => x.Spec.Name).sort());
  /** A leader key as the election makes one: its create revision is what writes are fenced on. */
  const leaderKey = async (prefix: string, id: string) => {
    const key = `${prefix}election/${id}`;
    const res = await raw.put(key).value('{}').exec();
    return { key, revision: res.header.revision };
  };

  before(async () => {
    etcd = await startEtcd();
    raw = new Etcd3({ hosts: etcd.url });
  });
  after(async () => {
    raw?.close();
    await etcd?.stop();
  });

  test('commits are in etcd once durable; another store on the prefix loads the same objects and index; sealed kinds are unreadable there', async () => {
    const { store, prefix } = await open();
    const node = addNode(store, { hostname: 'h1' });
    const svc = addService(store, replicated('web', 2));
    store.update((tx) => tx.secrets.create({ ID: 's1', Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: { Name: 'db-pass', Data: Buffer.from('hunter2').toString('base64') } }));
    store.update((tx) => tx.services.update({ ...tx.services.get(svc.ID)!, Spec: { ...svc.Spec, Labels: { tier: 'front' } } }));
    store.update((tx) => tx.nodes.delete(node.ID));
    await store.durable();
    const index = store.index;

    const stored = await raw.getAll().prefix(prefix).strings();
    assert.deepEqual(Object.keys(stored).sort(), [`${prefix}index`, `${prefix}objects/secret/s1`, `${prefix}objects/service/${svc.ID}`].sort());
    assert.ok(!stored[`${prefix}objects/secret/s1`]!.includes('db-pass') && !stored[`${prefix}objects/secret/s1`]!.includes(Buffer.from('hunter2').toString('base64')), 'the secret is sealed in etcd');
    assert.equal(JSON.parse(stored[`${prefix}index`]!).index, index);

    const { store: again } = await open(prefix);
    assert.equal(again.index, index);
    assert.deepEqual(again.view((tx) => tx.services.byName('web')?.Spec.Labels), { tier: 'front' });
    assert.equal(again.view((tx) => tx.secrets.byName('db-pass')?.Spec.Data), Buffer.from('hunter2').toString('base64'));
    assert.equal(again.view((tx) => tx.nodes.count()), 0, 'the deleted node is gone from etcd too');
    again.close();
    store.close();
  });

  test('a commit larger than one etcd request (600 objects) is written in parts and loads back whole', async () => {
    const { store, prefix } = await open();
    const big = 'x'.repeat(4_000);
    store.update((tx) => {
      for (let i = 0; i < 600; i++) tx.configs.create({ ID: `c${i}`, Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: { Name: `config-${i}`, Data: big } });
    });
    await store.durable();
    const { store: again } = await open(prefix);
    assert.equal(again.view((tx) => tx.configs.count()), 600);
    assert.equal(again.index, store.index);
    again.close();
    store.close();
  });

  test('etcd unreachable: changes go on in memory, durable waits, and everything reaches etcd in order once it is back', async () => {
    const { store, prefix } = await open();
    addService(store, replicated('before', 1));
    await store.durable();
    etcd.pause();
    let paused = true;
    try {
      for (let i = 0; i < 5; i++) addService(store, replicated(`during-${i}`, 1));
      let done = false;
      const waiting = store.durable().then(() => (done = true));
      await new Promise((r) => setTimeout(r, 2_500));
      assert.equal(done, false, 'not durable while etcd does not answer');
      etcd.resume();
      paused = false;
      await waiting;
    } finally {
      if (paused) etcd.resume();
    }
    const { store: again } = await open(prefix);
    assert.deepEqual(again.view((tx) => tx.services.list().map((s) => s.Spec.Name).sort()), ['before', 'during-0', 'during-1', 'during-2', 'during-3', 'during-4']);
    assert.equal(again.index, store.index);
    again.close();
    store.close();
  });

  test('a second store on the prefix follows the first: each commit arrives whole and in order, a split one as one; once the first stops, the follower writes on', async () => {
    const { store: a, prefix } = await open();
    addService(a, replicated('first', 1));
    await a.durable();
    const { store: b } = await open(prefix);
    const seen: { index: number; kinds: string[] }[] = [];
    const watcher = b.watch();
    void (async () => {
      for (let c = await watcher.next(); c; c = await watcher.next()) seen.push({ index: c.index, kinds: [...new Set(c.changes.map((x) => `${x.kind}:${x.action}`))] });
    })();
    const svc = addService(a, replicated('second', 1));
    a.update((tx) => {
      for (let i = 0; i < 300; i++) tx.configs.create({ ID: `f${i}`, Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: { Name: `f-${i}`, Data: 'y'.repeat(5_000) } });
    });
    a.update((tx) => tx.services.delete(svc.ID));
    await a.durable();
    const deadline = Date.now() + 10_000;
    while (b.index < a.index && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(b.index, a.index);
    assert.deepEqual(seen, [
      { index: a.index - 2, kinds: ['service:create'] },
      { index: a.index - 1, kinds: ['config:create'] },
      { index: a.index, kinds: ['service:delete'] },
    ]);
    assert.equal(b.view((tx) => tx.configs.count()), 300, 'the split commit arrived whole');
    assert.deepEqual(b.view((tx) => tx.services.list().map((s) => s.Spec.Name)), ['first']);

    // The first manager goes; the follower, having seen everything, takes over writing.
    a.close();
    addService(b, replicated('third', 1));
    await b.durable();
    const { store: c } = await open(prefix);
    assert.deepEqual(c.view((tx) => tx.services.list().map((s) => s.Spec.Name).sort()), ['first', 'third']);
    watcher.close();
    b.close();
    c.close();
  });

  test('two writers on one prefix at once: one commit lands, the other is never acknowledged and its writer takes no more', async () => {
    const { store: a, prefix } = await open();
    addService(a, replicated('one', 1));
    await a.durable();
    const { store: b } = await open(prefix);
    // Both made from the same state, neither seeing the other's: only one can follow it in etcd.
    addService(b, replicated('two', 1));
    addService(a, replicated('three', 1));
    const [rb, ra] = await Promise.allSettled([b.durable(), a.durable()]);
    const outcomes = [ra.status, rb.status].sort();
    assert.deepEqual(outcomes, ['fulfilled', 'rejected']);
    const [loser, winner, lost] = ra.status === 'rejected' ? [a, 'two', ra] : [b, 'three', rb];
    assert.match(String((lost as PromiseRejectedResult).reason), /another manager has written to the store in etcd/);
    assert.throws(() => addService(loser, replicated('four', 1)), UnavailableError);
    const { store: c } = await open(prefix);
    assert.deepEqual(c.view((tx) => tx.services.list().map((s) => s.Spec.Name).sort()), ['one', winner].sort(), "the fenced writer's change is not in etcd");
    for (const s of [a, b, c]) s.close();
  });

  test('fencing: a follower refuses writes; a leader whose key is gone has its write refused by etcd, is told, and undoes it; the next leader writes on and the old one follows', async () => {
    const { store: a, prefix, backend: ba } = await open();
    ba.follower('not the leader');
    assert.throws(() => addService(a, replicated('refused', 1)), NotLeaderError);
    const first = await leaderKey(prefix, 'a');
    await ba.lead(first.key, first.revision);
    addService(a, replicated('one', 1));
    await a.durable();
    const { store: b, backend: bb } = await open(prefix);
    bb.follower('not the leader');
    // The lease behind a's key ends (etcd deletes the key): a's next write must not land.
    await raw.delete().key(first.key).exec();
    let fenced: Error | undefined;
    ba.onFenced = (err) => (fenced = err);
    addService(a, replicated('stale', 1));
    const pending = a.durable();
    await until(() => fenced !== undefined);
    assert.match(fenced!.message, /no longer the leader/);
    a.abandonWrites('lost the lead');
    await assert.rejects(pending, /lost the lead/);
    assert.deepEqual(names(a), ['one'], 'the refused commit is undone');
    assert.throws(() => addService(a, replicated('after', 1)), NotLeaderError);
    const second = await leaderKey(prefix, 'b');
    await bb.lead(second.key, second.revision);
    addService(b, replicated('two', 1));
    await b.durable();
    await until(() => names(a).includes('two'));
    assert.deepEqual(names(a), ['one', 'two'], 'the old leader follows the new one');
    const { store: c } = await open(prefix);
    assert.deepEqual(names(c), ['one', 'two'], "etcd never got the deposed leader's commit");
    for (const s of [a, b, c]) s.close();
  });

  test('a leader that died inside a split commit: the parts it wrote count from the next leader on, for it and for its followers alike', async () => {
    const { store: a, prefix, backend: ba } = await open();
    ba.follower('not the leader');
    const { store: c, backend: bc } = await open(prefix);
    bc.follower('not the leader');
    // What a dead leader left: the first of two parts of commit 1 (objects and the index marker in one transaction).
    const scratch = new Store();
    const partial = addService(scratch, replicated('partial', 1));
    scratch.close();
    const marker = JSON.stringify({ index: 1, writer: 'dead-leader', part: 0, parts: 2 });
    await raw.if(`${prefix}index`, 'Mod', '==', 0).then(raw.put(`${prefix}objects/service/${partial.ID}`).value(JSON.stringify(partial)), raw.put(`${prefix}index`).value(marker)).commit();
    const key = await leaderKey(prefix, 'a');
    await ba.lead(key.key, key.revision);
    assert.deepEqual(names(a), ['partial'], 'the new leader holds what etcd holds');
    addService(a, replicated('next', 1));
    await a.durable();
    await until(() => names(c).includes('next'));
    assert.deepEqual(names(c), ['next', 'partial'], 'the follower holds the same');
    const { store: fresh } = await open(prefix);
    assert.deepEqual(names(fresh), ['next', 'partial'], 'and so does a store loaded from etcd');
    for (const s of [a, c, fresh]) s.close();
  });
});
