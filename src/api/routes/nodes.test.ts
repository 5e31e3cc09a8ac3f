import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Node } from '../../types/index.js';
import { call, filters, seedNode, testApi, type TestApi } from '../test-helpers.js';

async function cluster() {
  const api = await testApi();
  const mgr = seedNode(api.store, { id: 'mgr1aaaaaaaaaaaaaaaaaaaaa', hostname: 'mgr-host', role: 'manager' });
  const w1 = seedNode(api.store, { id: 'wk1aaaaaaaaaaaaaaaaaaaaaa', hostname: 'worker-1', labels: { zone: 'eu' }, engineLabels: { disk: 'ssd' } });
  const w2 = seedNode(api.store, { id: 'wk2bbbbbbbbbbbbbbbbbbbbbb', hostname: 'worker-2', state: 'down', labels: { zone: 'us' } });
  return { api, mgr, w1, w2 };
}

const ids = (body: { ID: string }[]): string[] => body.map((n) => n.ID).sort();

test('node list shows what docker node ls needs and hides Berth fields', async () => {
  const { api, mgr } = await cluster();
  const res = await call(api.app, 'GET', '/v1.41/nodes');
  assert.equal(res.status, 200);
  assert.equal(res.body.length, 3);
  const m = res.body.find((n: { ID: string }) => n.ID === mgr.ID);
  assert.equal(m.Spec.Role, 'manager');
  assert.equal(m.Spec.Availability, 'active');
  assert.equal(m.Status.State, 'ready');
  assert.equal(m.Description.Hostname, 'mgr-host');
  assert.deepEqual(m.ManagerStatus, { Leader: true, Reachability: 'reachable', Addr: '10.0.0.2' });
  const w = res.body.find((n: { ID: string }) => n.ID !== mgr.ID);
  assert.equal(w.ManagerStatus, undefined, 'workers have no manager status');
  assert.ok(!JSON.stringify(res.body).includes('BerthKeyDigest'), 'the key digest is Berth-internal');
  await api.close();
});

test('node filters: id and name prefixes, role, node.label, engine label, membership', async () => {
  const { api, mgr, w1, w2 } = await cluster();
  const list = async (f: Record<string, string[]>) => {
    const res = await call(api.app, 'GET', `/v1.41/nodes?filters=${filters(f)}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return ids(res.body);
  };
  assert.deepEqual(await list({ id: ['wk'] }), [w1.ID, w2.ID]);
  assert.deepEqual(await list({ id: ['wk2'] }), [w2.ID]);
  assert.deepEqual(await list({ name: ['worker-'] }), [w1.ID, w2.ID]);
  assert.deepEqual(await list({ name: ['mgr'] }), [mgr.ID]);
  assert.deepEqual(await list({ role: ['manager'] }), [mgr.ID]);
  assert.deepEqual(await list({ role: ['worker'] }), [w1.ID, w2.ID]);
  assert.deepEqual(await list({ 'node.label': ['zone=eu'] }), [w1.ID]);
  assert.deepEqual(await list({ 'node.label': ['zone'] }), [w1.ID, w2.ID]);
  assert.deepEqual(await list({ label: ['disk=ssd'] }), [w1.ID]);
  assert.deepEqual(await list({ membership: ['accepted'] }), [mgr.ID, w1.ID, w2.ID]);
  assert.deepEqual(await list({ membership: ['pending'] }), []);
  // Legacy map[string][]string form.
  const legacy = await call(api.app, 'GET', `/v1.41/nodes?filters=${encodeURIComponent(JSON.stringify({ role: ['manager'] }))}`);
  assert.deepEqual(ids(legacy.body), [mgr.ID]);

  const badKey = await call(api.app, 'GET', `/v1.41/nodes?filters=${filters({ colour: ['red'] })}`);
  assert.equal(badKey.status, 400);
  assert.equal(badKey.body.message, "invalid filter 'colour'");
  const badRole = await call(api.app, 'GET', `/v1.41/nodes?filters=${filters({ role: ['boss'] })}`);
  assert.equal(badRole.status, 400);
  assert.match(badRole.body.message, /invalid filter 'role=boss': use one of manager, worker/);
  const badJson = await call(api.app, 'GET', '/v1.41/nodes?filters=%7Bnope');
  assert.equal(badJson.status, 400);
  assert.match(badJson.body.message, /^invalid filters: not valid JSON/);
  await api.close();
});

test('node lookup: ID, hostname, unique ID prefix; ambiguous and unknown', async () => {
  const { api, mgr, w1 } = await cluster();
  assert.equal((await call(api.app, 'GET', `/v1.41/nodes/${w1.ID}`)).body.ID, w1.ID);
  assert.equal((await call(api.app, 'GET', '/v1.41/nodes/worker-1')).body.ID, w1.ID);
  assert.equal((await call(api.app, 'GET', '/v1.41/nodes/mgr1')).body.ID, mgr.ID);
  const amb = await call(api.app, 'GET', '/v1.41/nodes/wk');
  assert.equal(amb.status, 400);
  assert.equal(amb.body.message, 'node wk is ambiguous (2 matches found)');
  const missing = await call(api.app, 'GET', '/v1.41/nodes/nope');
  assert.equal(missing.status, 404);
  assert.equal(missing.body.message, 'node nope not found');
  await api.close();
});

test('node update writes the spec at the given version', async () => {
  const { api, w1 } = await cluster();
  const url = `/v1.41/nodes/${w1.ID}/update?version=${w1.Version.Index}`;
  const res = await call(api.app, 'POST', url, { Labels: { zone: 'eu', a: 'b' }, Role: 'worker', Availability: 'drain' });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const stored = api.store.view((tx) => tx.nodes.get(w1.ID)!);
  assert.deepEqual(stored.Spec, { Labels: { zone: 'eu', a: 'b' }, Role: 'worker', Availability: 'drain' });
  assert.deepEqual(stored.Status, w1.Status, 'only the spec changes');
  assert.equal(stored.BerthKeyDigest, w1.BerthKeyDigest);

  const stale = await call(api.app, 'POST', url, { Availability: 'active' });
  assert.equal(stale.status, 409, 'a stale version is a client-side conflict (dockerd says 500 with the same text)');
  assert.match(stale.body.message, /^update out of sequence: node /);

  const keep = await call(api.app, 'POST', `/v1.41/nodes/worker-1/update?version=${stored.Version.Index}`, { Labels: {} });
  assert.equal(keep.status, 200);
  const after = api.store.view((tx) => tx.nodes.get(w1.ID)!);
  assert.equal(after.Spec.Availability, 'drain', 'omitted availability is kept');
  assert.equal(after.Spec.Role, 'worker');
  await api.close();
});

test('node update validation: enums, version, and no promotion or demotion', async () => {
  const { api, mgr, w1 } = await cluster();
  const at = (id: string, v: number) => `/v1.41/nodes/${id}/update?version=${v}`;
  const bad = await call(api.app, 'POST', at(w1.ID, w1.Version.Index), { Availability: 'sleeping' });
  assert.equal(bad.status, 400);
  assert.match(bad.body.message, /^invalid NodeSpec: Availability must be one of "active", "pause", "drain" \(got "sleeping"\)$/);
  const noVersion = await call(api.app, 'POST', `/v1.41/nodes/${w1.ID}/update`, { Availability: 'drain' });
  assert.equal(noVersion.status, 400);
  assert.match(noVersion.body.message, /^missing version/);
  const badVersion = await call(api.app, 'POST', `/v1.41/nodes/${w1.ID}/update?version=abc`, {});
  assert.equal(badVersion.status, 400);
  assert.match(badVersion.body.message, /invalid node version 'abc'/);
  const promote = await call(api.app, 'POST', at(w1.ID, w1.Version.Index), { Role: 'manager' });
  assert.equal(promote.status, 400);
  assert.match(promote.body.message, /keeps its state in SQLite, which serves a single manager/);
  const demote = await call(api.app, 'POST', at(mgr.ID, mgr.Version.Index), { Role: 'worker' });
  assert.equal(demote.status, 400);
  assert.match(demote.body.message, /can't demote node mgr-host/);
  assert.equal(api.store.view((tx) => tx.nodes.get(w1.ID)!.Spec.Role), 'worker');
  await api.close();
});

test('node delete: a node that is not down needs force; a manager is never removed', async () => {
  const { api, mgr, w1, w2 } = await cluster();
  const refused = await call(api.app, 'DELETE', '/v1.41/nodes/worker-1');
  assert.equal(refused.status, 400);
  assert.match(refused.body.message, /^node worker-1 is not down and can't be removed/);
  assert.ok(api.store.view((tx) => tx.nodes.get(w1.ID)));

  assert.equal((await call(api.app, 'DELETE', '/v1.41/nodes/worker-1?force=true')).status, 200);
  assert.equal(api.store.view((tx) => tx.nodes.get(w1.ID)), undefined);

  assert.equal((await call(api.app, 'DELETE', `/v1.41/nodes/${w2.ID}`)).status, 200, 'a down node goes without force');
  assert.equal(api.store.view((tx) => tx.nodes.get(w2.ID)), undefined);

  const manager = await call(api.app, 'DELETE', `/v1.41/nodes/${mgr.ID}?force=1`);
  assert.equal(manager.status, 400);
  assert.match(manager.body.message, /is a cluster manager and can't be removed/);
  assert.equal((await call(api.app, 'DELETE', '/v1.41/nodes/nope')).status, 404);
  await api.close();
});

/** Three `berth manager` nodes on etcd (m1 leads) and a worker; `reachable` is the election's live set, changed by the tests. */
async function managersCluster() {
  const reachable = new Set(['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3']);
  let logged = '';
  const log = pino({ level: 'warn' }, new Writable({ write: (chunk: Buffer, _e, cb) => void ((logged += chunk.toString()), cb()) }));
  const api = await testApi({ log, info: { version: '0.1.0-test', hostname: 'mgr-host', managers: () => ({ leader: '127.0.0.1:1', reachable }) } });
  const [m1, m2, m3] = [1, 2, 3].map((i) =>
    api.store.update((tx) =>
      tx.nodes.create({
        ID: `mgr${i}aaaaaaaaaaaaaaaaaaaaa`,
        Version: { Index: 0 },
        CreatedAt: '',
        UpdatedAt: '',
        Spec: { Role: 'manager', Availability: 'drain', Labels: {} },
        Description: { Hostname: `m${i}` },
        Status: { State: 'unknown', Message: 'a manager with no agent', Addr: '127.0.0.1' },
        ManagerStatus: { Leader: false, Reachability: 'unknown', Addr: `127.0.0.1:${i}` },
        BerthManagerOnly: true,
      }),
    ),
  ) as [Node, Node, Node];
  const w1 = seedNode(api.store, { id: 'wk1aaaaaaaaaaaaaaaaaaaaaa', hostname: 'worker-1' });
  return { api, reachable, m1, m2, m3, w1, logged: () => logged };
}

async function setRole(api: TestApi, name: string, Role: 'manager' | 'worker') {
  const node = api.store.view((tx) => tx.nodes.list().find((n) => n.Description.Hostname === name)!);
  return call(api.app, 'POST', `/v1.41/nodes/${node.ID}/update?version=${node.Version.Index}`, { Role, Availability: 'drain', Labels: {} });
}

test('several managers: a demoted manager is a worker with no ManagerStatus, down once its lease is gone, then removed like any down worker', async () => {
  const { api, reachable, m3, logged } = await managersCluster();
  const res = await setRole(api, 'm3', 'worker');
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(api.store.view((tx) => tx.nodes.get(m3.ID)!.Spec.Role), 'worker');
  assert.match(logged(), /"msg":"2 managers: an even number tolerates no more failures than 1"/);
  const shown = (await call(api.app, 'GET', `/v1.41/nodes/${m3.ID}`)).body;
  assert.equal(shown.ManagerStatus, undefined, 'a worker has no manager status');
  assert.equal(shown.Status.State, 'ready', 'its process has not stopped yet');
  assert.equal((await call(api.app, 'DELETE', `/v1.41/nodes/${m3.ID}`)).status, 400, 'not down yet');

  reachable.delete('127.0.0.1:3');
  const down = (await call(api.app, 'GET', `/v1.41/nodes?filters=${filters({ role: ['worker'] })}`)).body.find((n: { ID: string }) => n.ID === m3.ID);
  assert.equal(down.Status.State, 'down');
  assert.equal(down.Spec.Role, 'worker');
  assert.equal((await call(api.app, 'DELETE', `/v1.41/nodes/${m3.ID}`)).status, 200);
  assert.equal(api.store.view((tx) => tx.nodes.get(m3.ID)), undefined);
  await api.close();
});

test("several managers: demotion keeps a reachable manager and a majority of the rest reachable, in Swarm's words", async () => {
  const { api, reachable, logged } = await managersCluster();
  reachable.delete('127.0.0.1:3');
  const quorum = await setRole(api, 'm2', 'worker');
  assert.equal(quorum.status, 400);
  assert.equal(quorum.body.message, "can't remove member from the raft: this would result in a loss of quorum");
  assert.equal((await setRole(api, 'm3', 'worker')).status, 200, 'an unreachable manager may go: m1 and m2 are a majority of themselves');
  assert.equal((await setRole(api, 'm2', 'worker')).status, 200);
  assert.doesNotMatch(logged(), /1 managers/, 'an odd number is not warned about');
  const last = await setRole(api, 'm1', 'worker');
  assert.equal(last.status, 400);
  assert.equal(last.body.message, 'attempting to demote the last manager of the swarm');

  const { api: other, reachable: live } = await managersCluster();
  live.delete('127.0.0.1:2');
  live.delete('127.0.0.1:3');
  const lastReachable = await setRole(other, 'm1', 'worker');
  assert.equal(lastReachable.status, 400);
  assert.equal(lastReachable.body.message, 'attempting to demote the last manager of the swarm', 'the others are managers, but none is reachable');
  await api.close();
  await other.close();
});

test('several managers: a manager is removed only once demoted, even with --force; promotion names the command that makes a manager', async () => {
  const { api, m2, w1 } = await managersCluster();
  const rm = await call(api.app, 'DELETE', `/v1.41/nodes/m2?force=true`);
  assert.equal(rm.status, 400);
  assert.equal(rm.body.message, `node ${m2.ID} is a cluster manager and is a member of the raft cluster. It must be demoted to worker before removal`);

  const promote = await setRole(api, 'worker-1', 'manager');
  assert.equal(promote.status, 400);
  assert.match(promote.body.message, /^can't promote node worker-1 to manager: .* run `berth manager --join <a manager's cluster address> --token <manager token> --store etcd:\/\/\.\.\.`/);
  assert.equal(api.store.view((tx) => tx.nodes.get(w1.ID)!.Spec.Role), 'worker');

  assert.equal((await setRole(api, 'm2', 'worker')).status, 200);
  const back = await setRole(api, 'm2', 'manager');
  assert.equal(back.status, 400);
  assert.match(back.body.message, /^can't promote node m2 back to manager: its manager stopped when it was demoted\. Remove it \(`docker node rm m2`\)/);
  await api.close();
});
