import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NotFoundError } from '../../types/index.js';
import { call, seedNode, testApi } from '../test-helpers.js';

function assertEngineHeaders(headers: Record<string, unknown>): void {
  assert.equal(headers['api-version'], '1.41');
  assert.equal(headers['server'], 'Berth/0.1.0-test (linux)');
  assert.equal(headers['ostype'], 'linux');
  assert.equal(headers['docker-experimental'], 'false');
}

test('ping answers HEAD and GET with the negotiation and swarm headers', async () => {
  const api = await testApi();
  for (const method of ['HEAD', 'GET']) {
    const res = await api.app.inject({ method: method as 'GET', url: '/_ping' });
    assert.equal(res.statusCode, 200);
    assertEngineHeaders(res.headers);
    assert.equal(res.headers['swarm'], 'active/manager');
    assert.equal(res.headers['cache-control'], 'no-cache, no-store, must-revalidate');
    assert.equal(res.headers['pragma'], 'no-cache');
    assert.equal(res.body, method === 'GET' ? 'OK' : '');
  }
  const versioned = await api.app.inject({ method: 'GET', url: '/v1.41/_ping' });
  assert.equal(versioned.body, 'OK');
  await api.close();
});

test('version prefixes: 1.24 to 1.41 are served, others are refused with the Engine message', async () => {
  const api = await testApi();
  for (const v of ['1.24', '1.30', '1.41']) assert.equal((await call(api.app, 'GET', `/v${v}/version`)).status, 200, v);
  const tooNew = await call(api.app, 'GET', '/v1.43/services');
  assert.equal(tooNew.status, 400);
  assert.equal(tooNew.body.message, 'client version 1.43 is too new. Maximum supported API version is 1.41');
  assertEngineHeaders(tooNew.headers);
  const tooOld = await call(api.app, 'GET', '/v1.23/info');
  assert.equal(tooOld.status, 400);
  assert.match(tooOld.body.message, /^client version 1\.23 is too old\. Minimum supported API version is 1\.24/);
  assert.equal((await call(api.app, 'GET', '/v2.0/info')).status, 400);
  await api.close();
});

test('version names the Berth component and the API range', async () => {
  const api = await testApi();
  const res = await call(api.app, 'GET', '/v1.41/version');
  assert.equal(res.body.Version, '0.1.0-test');
  assert.equal(res.body.ApiVersion, '1.41');
  assert.equal(res.body.MinAPIVersion, '1.24');
  assert.equal(res.body.Os, 'linux');
  assert.ok(res.body.GoVersion);
  assert.deepEqual(res.body.Components.map((c: { Name: string }) => c.Name), ['Berth']);
  assert.equal(res.body.Components[0].Version, '0.1.0-test');
  await api.close();
});

test('info reports an active manager, the local node, node counts and the cluster', async () => {
  const api = await testApi({}, 'node-self');
  seedNode(api.store, { id: 'node-self', hostname: 'mgr-host', role: 'manager' });
  seedNode(api.store, { hostname: 'w1' });
  let res = await call(api.app, 'GET', '/v1.41/info');
  assert.equal(res.status, 200);
  const swarm = res.body.Swarm;
  assert.equal(swarm.NodeID, 'node-self');
  assert.equal(swarm.NodeAddr, '10.0.0.2');
  assert.equal(swarm.LocalNodeState, 'active');
  assert.equal(swarm.ControlAvailable, true);
  assert.equal(swarm.Error, '');
  assert.equal(swarm.Nodes, 2);
  assert.equal(swarm.Managers, 1);
  assert.deepEqual(swarm.RemoteManagers, [{ NodeID: 'node-self', Addr: '10.0.0.2' }]);
  assert.equal(swarm.Cluster, undefined, 'no cluster object yet');
  assert.equal(res.body.Name, 'mgr-host');
  assert.equal(res.body.OSType, 'linux');
  assert.equal(res.body.ServerVersion, '0.1.0-test');
  assert.equal(res.body.Containers, 0);
  assert.ok(res.body.NCPU > 0 && res.body.MemTotal > 0);

  api.store.update((tx) =>
    tx.clusters.create({
      ID: 'cluster1',
      Version: { Index: 0 },
      CreatedAt: '',
      UpdatedAt: '',
      Spec: { Name: 'default', Orchestration: { TaskHistoryRetentionLimit: 5 }, Dispatcher: { HeartbeatPeriod: 5e9 } },
      JoinTokens: { Worker: 'SWMTKN-secret-w', Manager: 'SWMTKN-secret-m' },
    }),
  );
  res = await call(api.app, 'GET', '/info');
  assert.equal(res.body.Swarm.Cluster.ID, 'cluster1');
  assert.equal(res.body.Swarm.Cluster.Spec.Orchestration.TaskHistoryRetentionLimit, 5);
  assert.ok(!JSON.stringify(res.body).includes('SWMTKN'), 'join tokens must not leak through /info');
  await api.close();
});

test('info without a local node reports an empty NodeID', async () => {
  const api = await testApi();
  const res = await call(api.app, 'GET', '/info');
  assert.equal(res.body.Swarm.NodeID, '');
  assert.equal(res.body.Swarm.Nodes, 0);
  await api.close();
});

test('unknown routes are 404 page not found, with the Engine headers', async () => {
  const api = await testApi();
  for (const url of ['/nope', '/v1.41/images/json', '/v1.41/distribution/x']) {
    const res = await call(api.app, 'GET', url);
    assert.equal(res.status, 404, url);
    assert.deepEqual(res.body, { message: 'page not found' });
    assertEngineHeaders(res.headers);
    assert.equal(res.headers['content-type'], 'application/json', 'the CLI decodes errors only for exactly application/json');
  }
  await api.close();
});

test('bodies: malformed JSON is a 400 naming the problem; a missing content type is read as JSON; too large is 413', async () => {
  const api = await testApi();
  const bad = await call(api.app, 'POST', '/v1.41/services/create', '{"Name": "web",');
  assert.equal(bad.status, 400);
  assert.match(bad.body.message, /^invalid JSON in request body: /);

  const noType = await api.app.inject({
    method: 'POST',
    url: '/v1.41/services/create',
    payload: JSON.stringify({ Name: 'plain', TaskTemplate: { ContainerSpec: { Image: 'busybox' } } }),
  });
  assert.equal(noType.statusCode, 201, noType.body);

  const empty = await call(api.app, 'POST', '/v1.41/services/create');
  assert.equal(empty.status, 400);
  assert.equal(empty.body.message, 'invalid ServiceSpec: the request body must be an object (got nothing)');

  const huge = await call(api.app, 'POST', '/v1.41/services/create', JSON.stringify({ Name: 'x', Labels: { big: 'a'.repeat(11 * 1024 * 1024) } }));
  assert.equal(huge.status, 413);
  assert.match(huge.body.message, /too large/);
  await api.close();
});

test('plugins add routes that share the headers and the error mapping; unexpected errors are a generic 500', async () => {
  const api = await testApi({
    plugins: [
      async (app) => {
        app.get('/berth/boom', () => {
          throw new Error('secret internal detail');
        });
        app.get('/berth/missing', () => {
          throw new NotFoundError('session x not found');
        });
      },
    ],
  });
  const boom = await call(api.app, 'GET', '/berth/boom');
  assert.equal(boom.status, 500);
  assert.ok(!boom.body.message.includes('secret'), 'internal details stay in the log');
  assertEngineHeaders(boom.headers);
  const missing = await call(api.app, 'GET', '/berth/missing');
  assert.equal(missing.status, 404);
  assert.equal(missing.body.message, 'session x not found');
  await api.close();
});

test('distribution inspect refuses a malformed reference in docker\'s words and says when the registry cannot be reached', async () => {
  const api = await testApi();
  const bad = await call(api.app, 'GET', '/v1.41/distribution/localhost:5000/Bad:1/json');
  assert.equal(bad.status, 400);
  assert.equal(bad.body.message, 'invalid reference format: repository name must be lowercase: localhost:5000/Bad:1');
  const down = await call(api.app, 'GET', '/v1.41/distribution/127.0.0.1:1/berth-demo:1/json');
  assert.equal(down.status, 503);
  assert.match(down.body.message, /^cannot reach the registry of 127\.0\.0\.1:1\/berth-demo:1: .*ECONNREFUSED/);
  // JSON that is not an auth config (here `null`) is the client's error, not the server's.
  const badAuth = await api.app.inject({
    method: 'GET',
    url: '/v1.41/distribution/127.0.0.1:1/berth-demo:1/json',
    headers: { 'x-registry-auth': Buffer.from('null').toString('base64url') },
  });
  assert.equal(badAuth.statusCode, 400);
  assert.match(badAuth.json<{ message: string }>().message, /^invalid X-Registry-Auth header/);
  await api.close();
});

test("info's NodeAddr for the manager's node is the host of its API address, as Swarm shows the node's address", async () => {
  const api = await testApi({}, 'node-self');
  const node = seedNode(api.store, { id: 'node-self', hostname: 'mgr-host', role: 'manager' });
  for (const [addr, host] of [['127.0.0.1:7420', '127.0.0.1'], ['[::1]:7420', '::1']] as const) {
    api.store.update((tx) => {
      const n = tx.nodes.get(node.ID)!;
      tx.nodes.update({ ...n, ManagerStatus: { Leader: true, Reachability: 'reachable', Addr: addr } });
    });
    const swarm = (await call(api.app, 'GET', '/info')).body.Swarm;
    assert.equal(swarm.NodeAddr, host);
    assert.deepEqual(swarm.RemoteManagers, [{ NodeID: 'node-self', Addr: addr }]);
  }
  await api.close();
});
