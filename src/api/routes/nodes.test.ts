import { test } from 'node:test';
import assert from 'node:assert/strict';
import { call, filters, seedNode, testApi } from '../test-helpers.js';

function cluster() {
  const api = testApi();
  const mgr = seedNode(api.store, { id: 'mgr1aaaaaaaaaaaaaaaaaaaaa', hostname: 'mgr-host', role: 'manager' });
  const w1 = seedNode(api.store, { id: 'wk1aaaaaaaaaaaaaaaaaaaaaa', hostname: 'worker-1', labels: { zone: 'eu' }, engineLabels: { disk: 'ssd' } });
  const w2 = seedNode(api.store, { id: 'wk2bbbbbbbbbbbbbbbbbbbbbb', hostname: 'worker-2', state: 'down', labels: { zone: 'us' } });
  return { api, mgr, w1, w2 };
}

const ids = (body: { ID: string }[]): string[] => body.map((n) => n.ID).sort();

test('node list shows what docker node ls needs and hides Berth fields', async () => {
  const { api, mgr } = cluster();
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
  const { api, mgr, w1, w2 } = cluster();
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
  const { api, mgr, w1 } = cluster();
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
  const { api, w1 } = cluster();
  const url = `/v1.41/nodes/${w1.ID}/update?version=${w1.Version.Index}`;
  const res = await call(api.app, 'POST', url, { Labels: { zone: 'eu', a: 'b' }, Role: 'worker', Availability: 'drain' });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const stored = api.store.view((tx) => tx.nodes.get(w1.ID)!);
  assert.deepEqual(stored.Spec, { Labels: { zone: 'eu', a: 'b' }, Role: 'worker', Availability: 'drain' });
  assert.deepEqual(stored.Status, w1.Status, 'only the spec changes');
  assert.equal(stored.BerthKeyDigest, w1.BerthKeyDigest);

  const stale = await call(api.app, 'POST', url, { Availability: 'active' });
  assert.equal(stale.status, 409);
  assert.match(stale.body.message, /update out of sequence/);

  const keep = await call(api.app, 'POST', `/v1.41/nodes/worker-1/update?version=${stored.Version.Index}`, { Labels: {} });
  assert.equal(keep.status, 200);
  const after = api.store.view((tx) => tx.nodes.get(w1.ID)!);
  assert.equal(after.Spec.Availability, 'drain', 'omitted availability is kept');
  assert.equal(after.Spec.Role, 'worker');
  await api.close();
});

test('node update validation: enums, version, and no promotion or demotion', async () => {
  const { api, mgr, w1 } = cluster();
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
  assert.match(promote.body.message, /single manager until multi-manager support lands/);
  const demote = await call(api.app, 'POST', at(mgr.ID, mgr.Version.Index), { Role: 'worker' });
  assert.equal(demote.status, 400);
  assert.match(demote.body.message, /can't demote node mgr-host/);
  assert.equal(api.store.view((tx) => tx.nodes.get(w1.ID)!.Spec.Role), 'worker');
  await api.close();
});

test('node delete: a node that is not down needs force; a manager is never removed', async () => {
  const { api, mgr, w1, w2 } = cluster();
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
