import { test } from 'node:test';
import assert from 'node:assert/strict';
import { call, createService, filters, seedNode, seedTask, spec, testApi } from '../test-helpers.js';

async function fixture() {
  const api = await testApi();
  const n1 = seedNode(api.store, { id: 'node1xxxxxxxxxxxxxxxxxxxx', hostname: 'worker-1' });
  const n2 = seedNode(api.store, { id: 'node2xxxxxxxxxxxxxxxxxxxx', hostname: 'worker-2' });
  const web = await createService(api, { ...spec('web'), Labels: { 'com.docker.stack.namespace': 'shop' }, Mode: { Replicated: { Replicas: 2 } } });
  const api2 = await createService(api, { ...spec('webapi'), Labels: { tier: 'back' } });
  const t1 = seedTask(api.store, web, { id: 'task1xxxxxxxxxxxxxxxxxxxx', slot: 1, nodeId: n1.ID });
  const t2 = seedTask(api.store, web, { id: 'task2xxxxxxxxxxxxxxxxxxxx', slot: 2, nodeId: n2.ID, specVersion: web.BerthSpecVersion - 1 });
  const t3 = seedTask(api.store, web, { id: 'task3xxxxxxxxxxxxxxxxxxxx', slot: 2, nodeId: n2.ID, state: 'shutdown', desired: 'shutdown' });
  const t4 = seedTask(api.store, api2, { id: 'other4xxxxxxxxxxxxxxxxxxx', slot: 1, nodeId: n1.ID });
  return { api, n1, n2, web, api2, t1, t2, t3, t4 };
}

const ids = (body: { ID: string }[]): string[] => body.map((t) => t.ID).sort();

test('task list serves the stored tasks without Berth fields or the internal Name', async () => {
  const { api, t1 } = await fixture();
  const res = await call(api.app, 'GET', '/v1.41/tasks');
  assert.equal(res.status, 200);
  assert.equal(res.body.length, 4);
  const t = res.body.find((x: { ID: string }) => x.ID === t1.ID);
  assert.equal(t.ServiceID, t1.ServiceID);
  assert.equal(t.NodeID, t1.NodeID);
  assert.equal(t.Slot, 1);
  assert.equal(t.Status.State, 'running');
  assert.equal(t.DesiredState, 'running');
  assert.deepEqual(t.SpecVersion, t1.SpecVersion);
  assert.equal(t.Spec.ContainerSpec.Image, 'localhost/berth-demo:1');
  assert.equal(t.Name, undefined);
  assert.ok(!JSON.stringify(res.body).includes('Berth'), 'no Berth field is served');
  // As moby's types show a task: Labels and Status.PortStatus always, ForceUpdate from the spec;
  // Runtime only on a service's TaskTemplate (moby convert taskSpecFromGRPC sets none for a container).
  assert.deepEqual(t.Labels, {});
  assert.deepEqual(t.Status.PortStatus, {});
  assert.equal(t.Spec.ForceUpdate, 0);
  assert.equal(t.Spec.ContainerSpec.Isolation, 'default');
  assert.equal('Runtime' in t.Spec, false);
  await api.close();
});

test('task filters: service and node by name or ID, label of the service, desired and observed state, up-to-date, id and name prefixes', async () => {
  const { api, web, n2, t1, t2, t3, t4 } = await fixture();
  const list = async (f: Record<string, string[]>) => {
    const res = await call(api.app, 'GET', `/v1.41/tasks?filters=${filters(f)}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return ids(res.body);
  };
  assert.deepEqual(await list({ service: ['web'] }), [t1.ID, t2.ID, t3.ID].sort(), 'a service name is resolved, not prefix-matched to webapi');
  assert.deepEqual(await list({ service: [web.ID] }), [t1.ID, t2.ID, t3.ID].sort());
  assert.deepEqual(await list({ service: ['web', 'webapi'] }), [t1.ID, t2.ID, t3.ID, t4.ID].sort());
  assert.deepEqual(await list({ node: ['worker-2'] }), [t2.ID, t3.ID].sort());
  assert.deepEqual(await list({ node: [n2.ID] }), [t2.ID, t3.ID].sort());
  assert.deepEqual(await list({ node: ['worker-1'], service: ['web'] }), [t1.ID].sort());
  assert.deepEqual(await list({ label: ['com.docker.stack.namespace=shop'] }), [t1.ID, t2.ID, t3.ID].sort());
  assert.deepEqual(await list({ label: ['tier'] }), [t4.ID].sort());
  assert.deepEqual(await list({ 'desired-state': ['running'] }), [t1.ID, t2.ID, t4.ID].sort());
  assert.deepEqual(await list({ 'desired-state': ['shutdown'], service: ['web'] }), [t3.ID].sort());
  assert.deepEqual(await list({ state: ['shutdown', 'failed'] }), [t3.ID], "Berth's state filter: the observed state");
  assert.deepEqual(await list({ service: [web.ID], '_up-to-date': ['true'] }), [t1.ID, t3.ID].sort());
  assert.deepEqual(await list({ id: ['task'] }), [t1.ID, t2.ID, t3.ID].sort());
  assert.deepEqual(await list({ id: ['task2', 'other'] }), [t2.ID, t4.ID].sort());
  assert.deepEqual(await list({ name: ['web.2.'] }), [t2.ID, t3.ID].sort());
  assert.deepEqual(await list({ name: ['web'] }), [t1.ID, t2.ID, t3.ID, t4.ID].sort(), 'name is a prefix of <service>.<slot>.<id>');
  assert.deepEqual(await list({ runtime: ['container'] }), [t1.ID, t2.ID, t3.ID, t4.ID].sort());

  const unknownService = await call(api.app, 'GET', `/v1.41/tasks?filters=${filters({ service: ['nope'] })}`);
  assert.equal(unknownService.status, 404);
  assert.equal(unknownService.body.message, 'service nope not found');
  const badState = await call(api.app, 'GET', `/v1.41/tasks?filters=${filters({ 'desired-state': ['sleeping'] })}`);
  assert.equal(badState.status, 400);
  assert.match(badState.body.message, /^invalid filter 'desired-state=sleeping'/);
  const badKey = await call(api.app, 'GET', `/v1.41/tasks?filters=${filters({ mode: ['global'] })}`);
  assert.equal(badKey.status, 400);
  assert.equal(badKey.body.message, "invalid filter 'mode'");
  await api.close();
});

test('task inspect: by ID, unique prefix and Swarm task name; unknown is a 404', async () => {
  const { api, t1, t2 } = await fixture();
  assert.equal((await call(api.app, 'GET', `/v1.41/tasks/${t1.ID}`)).body.ID, t1.ID);
  assert.equal((await call(api.app, 'GET', '/v1.41/tasks/task2')).body.ID, t2.ID);
  assert.equal((await call(api.app, 'GET', `/v1.41/tasks/web.2.${t2.ID}`)).body.ID, t2.ID);
  const amb = await call(api.app, 'GET', '/v1.41/tasks/task');
  assert.equal(amb.status, 400);
  assert.equal(amb.body.message, 'task task is ambiguous (3 matches found)');
  const missing = await call(api.app, 'GET', '/v1.41/tasks/nope');
  assert.equal(missing.status, 404);
  assert.equal(missing.body.message, 'task nope not found');
  const shown = (await call(api.app, 'GET', `/v1.41/tasks/${t1.ID}`)).body;
  assert.equal(shown.BerthService, undefined);
  await api.close();
});
