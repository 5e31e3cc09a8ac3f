// The OpenAPI descriptions of Berth's own routes (docs/openapi/) stay true: each is a valid
// OpenAPI 3.1 document, and lists exactly the /berth/v1 routes its real listener serves — the
// manager API (Manager.start), the cluster port (startClusterPort, with the dispatcher's
// WebSocket) and the registry (Registry.start). A route added without its description, or a
// described route removed, fails here. Each listener also serves its own description.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { rm } from 'node:fs/promises';
import { silentLogger } from '../../src/common/log.js';
import { Manager } from '../../src/manager/index.js';
import { startClusterPort } from '../../src/manager/cluster-port.js';
import { Registry } from '../../src/registry/index.js';
import { DISPATCHER_PATH, STREAM_PATH } from '../../src/types/index.js';
import { tempDir } from '../helpers/berth.js';
import { startDispatcher } from '../helpers/dispatcher.js';
import { checkOpenApi, documentedRoutes, loadDescription, registeredRoutes } from '../helpers/openapi.js';
import { basicAuth, TEST_ADMIN_PASSWORD } from '../helpers/registry-auth.js';

const PREFIX = '/berth/v1/';

/** sameRoutes fails naming the routes served without a description and those described but not served. */
function sameRoutes(served: string[], described: string[], file: string): void {
  const undocumented = served.filter((r) => !described.includes(r));
  const missing = described.filter((r) => !served.includes(r));
  assert.deepEqual({ undocumented, missing }, { undocumented: [], missing: [] }, `routes served and routes in docs/openapi/${file}.yaml differ`);
}

for (const name of ['manager', 'cluster', 'registry-admin']) {
  test(`docs/openapi/${name}.yaml is a valid OpenAPI 3.1 document`, () => {
    const { doc } = loadDescription(name);
    assert.deepEqual(checkOpenApi(doc), []);
    assert.ok(documentedRoutes(doc).http.length > 0);
  });
}

test('the checker refuses what OpenAPI 3.1 does not allow', () => {
  const { doc } = loadDescription('cluster');
  const broken = structuredClone(doc);
  broken.openapi = '3.0.3';
  broken.paths['/berth/v1/ca'].get.responses = {};
  broken.paths['/berth/v1/renew'].post.responses['200'].content['application/json'].schema = { type: 'object', nullable: true };
  broken.components.schemas.Issued.properties.nodeId = { type: 'integer', exclusiveMinimum: true };
  broken.paths['/berth/v1/join/{token}'] = { post: { responses: { '200': { $ref: '#/components/responses/Gone' } } } };
  const problems = checkOpenApi(broken).join('\n');
  assert.match(problems, /openapi: must be 3\.1\.x/);
  assert.match(problems, /GET \/berth\/v1\/ca: an operation needs responses/);
  assert.match(problems, /unknown keyword: "nullable"/);
  assert.match(problems, /components\.schemas: .*exclusiveMinimum must be number/);
  assert.match(problems, /path parameter \{token\} is not declared/);
  assert.match(problems, /\$ref #\/components\/responses\/Gone resolves to nothing/);
});

test('the manager API serves exactly the routes of manager.yaml, and the description itself', async () => {
  const dir = tempDir('openapi-manager');
  const manager = await Manager.start({ dataDir: dir, listen: '127.0.0.1:0', insecureApi: true, clusterListen: '127.0.0.1:0', log: silentLogger(), version: 'test' });
  try {
    const { doc, text } = loadDescription('manager');
    // The registry's admin API, handed to the registry under berth up, is registry-admin.yaml's.
    const mounted = ['GET', 'POST', 'PUT', 'DELETE'].map((m) => `${m} /berth/v1/registry/*`);
    const served = registeredRoutes(manager.app, PREFIX).filter((r) => !mounted.includes(r));
    assert.deepEqual(registeredRoutes(manager.app, '/berth/v1/registry/'), [...mounted].sort());
    assert.ok(served.includes('GET /berth/v1/client-certificates'), 'the manager\'s plugin routes are registered');
    assert.ok(registeredRoutes(manager.app, '/services').includes('POST /services/{id}/update'), 'the route tree is read whole');
    sameRoutes(served, documentedRoutes(doc).http, 'manager');

    const res = await fetch(`${manager.url}/berth/v1/openapi.yaml`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/yaml');
    assert.equal(await res.text(), text);
  } finally {
    await manager.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

/** upgrade asks the cluster port for a WebSocket at `path` without a client certificate; the answer's status. */
function upgrade(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      path,
      rejectUnauthorized: false,
      agent: false,
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version': '13' },
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('upgrade', (_res, socket) => {
      socket.destroy();
      resolve(101);
    });
    req.on('error', reject);
    req.end();
  });
}

test('the cluster port serves exactly the routes of cluster.yaml; the session is its one WebSocket', async (t) => {
  const h = await startDispatcher(t);
  const clusterId = h.store.view((tx) => tx.cluster()!.ID);
  const port = await startClusterPort({ ca: h.ca, clusterId, dispatcher: h.dispatcher, host: '127.0.0.1', port: 0, names: [], log: silentLogger() });
  t.after(() => port.stop());
  const { doc } = loadDescription('cluster');
  sameRoutes(registeredRoutes(port.app, PREFIX), documentedRoutes(doc).http, 'cluster');

  // The session and container streams are upgrade handlers, not routes: the described paths
  // are the ones they take (a 401 for a peer without a node certificate), and any other is not found.
  assert.deepEqual(documentedRoutes(doc).websocket, [`GET ${DISPATCHER_PATH}`, `GET ${STREAM_PATH}{id}`]);
  assert.equal(await upgrade(port.port, DISPATCHER_PATH), 401);
  assert.equal(await upgrade(port.port, `${STREAM_PATH}0123abcd`), 401);
  assert.equal(await upgrade(port.port, `${DISPATCHER_PATH}-not`), 404);
});

test('the registry serves exactly the admin routes of registry-admin.yaml, and the description to those signed in', async () => {
  const dir = tempDir('openapi-registry');
  const registry = await Registry.start({ dataDir: dir, listen: '127.0.0.1:0', log: silentLogger(), adminPassword: TEST_ADMIN_PASSWORD });
  try {
    const { doc, text } = loadDescription('registry-admin');
    const served = registeredRoutes(registry.app, PREFIX);
    assert.ok(served.includes('POST /berth/v1/registry/gc'), 'the feature routes are registered');
    sameRoutes(served, documentedRoutes(doc).http, 'registry-admin');

    const url = `${registry.url}/berth/v1/registry/openapi.yaml`;
    const anonymous = await fetch(url);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get('www-authenticate'), 'Basic realm="berth-registry"');
    const res = await fetch(url, { headers: { Authorization: basicAuth('admin', TEST_ADMIN_PASSWORD) } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/yaml');
    assert.equal(await res.text(), text);
  } finally {
    await registry.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
