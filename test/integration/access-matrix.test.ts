// The role × route matrix of the manager API (docs/access.md), cell by cell, against a real
// manager over TLS with a client certificate per role. The table below is the expectation,
// written independently of src/access: every route the API serves must be in it (a new route
// fails this test until someone decides who may call it), and each role is refused (403, in
// Docker's error shape, naming the role it takes) exactly where the table says.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { Manager } from '../../src/manager/index.js';
import { silentLogger } from '../../src/common/log.js';
import { certificateRequest, keyPem, newKeyPair } from '../../src/common/pki.js';
import type { ClusterRole } from '../../src/types/index.js';
import { registeredRoutes } from '../helpers/openapi.js';
import { tempDir } from '../helpers/berth.js';

/** The least role each route takes. */
const MATRIX: Record<string, ClusterRole | 'anyone'> = {
  'GET /_ping': 'anyone',
  'GET /version': 'anyone',
  'GET /info': 'anyone',
  'GET /berth/v1/openapi.yaml': 'anyone',
  'GET /nodes': 'viewer',
  'GET /nodes/{id}': 'viewer',
  'POST /nodes/{id}/update': 'admin',
  'DELETE /nodes/{id}': 'admin',
  'GET /services': 'viewer',
  'GET /services/{id}': 'viewer',
  'GET /services/{id}/logs': 'viewer',
  'POST /services/create': 'operator',
  'POST /services/{id}/update': 'operator',
  'DELETE /services/{id}': 'operator',
  'GET /tasks': 'viewer',
  'GET /tasks/{id}': 'viewer',
  'GET /tasks/{id}/logs': 'viewer',
  'GET /containers/json': 'viewer',
  'GET /containers/{id}/json': 'viewer',
  'GET /containers/{id}/logs': 'viewer',
  'GET /containers/{id}/top': 'viewer',
  'GET /containers/{id}/stats': 'viewer',
  'POST /containers/{id}/exec': 'operator',
  'POST /containers/create': 'operator',
  'POST /containers/prune': 'operator',
  'POST /containers/{id}/{action}': 'operator',
  'DELETE /containers/{id}': 'operator',
  'GET /exec/{id}/json': 'viewer',
  'POST /exec/{id}/start': 'operator',
  'POST /exec/{id}/resize': 'operator',
  'GET /secrets': 'viewer',
  'GET /secrets/{id}': 'viewer',
  'POST /secrets/create': 'operator',
  'POST /secrets/{id}/update': 'operator',
  'DELETE /secrets/{id}': 'operator',
  'GET /configs': 'viewer',
  'GET /configs/{id}': 'viewer',
  'POST /configs/create': 'operator',
  'POST /configs/{id}/update': 'operator',
  'DELETE /configs/{id}': 'operator',
  'GET /networks': 'viewer',
  'GET /networks/{id}': 'viewer',
  'POST /networks/create': 'operator',
  'POST /networks/prune': 'operator',
  'DELETE /networks/{id}': 'operator',
  'GET /distribution/*': 'viewer',
  'GET /berth/v1/registry-credentials': 'viewer',
  'GET /berth/v1/registry-credentials/{id}': 'viewer',
  'POST /berth/v1/registry-credentials': 'operator',
  'POST /berth/v1/registry-credentials/{id}/update': 'operator',
  'DELETE /berth/v1/registry-credentials/{id}': 'operator',
  'GET /swarm': 'viewer',
  'GET /swarm/unlockkey': 'admin',
  'POST /swarm/update': 'admin',
  'POST /swarm/init': 'admin',
  'POST /swarm/join': 'admin',
  'POST /swarm/leave': 'admin',
  'POST /swarm/unlock': 'admin',
  'GET /berth/v1/client-certificates': 'admin',
  'POST /berth/v1/client-certificates': 'admin',
  'POST /berth/v1/client-certificates/{id}/revoke': 'admin',
  'GET /berth/v1/audit': 'admin',
};

const RANK = ['anyone', 'viewer', 'operator', 'admin'];

interface Bundle {
  key: string;
  cert: string;
}

describe('who may call what on the manager API', { timeout: 120_000 }, () => {
  const dir = tempDir('access');
  let manager: Manager;
  let port = 0;
  let ca = '';
  const bundles = new Map<ClusterRole, Bundle>();

  const call = (who: Bundle, method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method, path, ca, key: who.key, cert: who.cert, headers: { 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body: text }));
        // A log stream would follow for ever: its status is all this test needs.
        if (path.includes('/logs')) res.destroy();
      });
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });

  before(async () => {
    manager = await Manager.start({ dataDir: dir, listen: '127.0.0.1:0', clusterListen: '127.0.0.1:0', log: silentLogger(), version: 'test' });
    port = Number(new URL(manager.url).port);
    ca = readFileSync(join(dir, 'client', 'ca.pem'), 'utf8');
    const admin = { key: readFileSync(join(dir, 'client', 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'client', 'cert.pem'), 'utf8') };
    bundles.set('admin', admin);
    for (const role of ['viewer', 'operator'] as const) {
      const keys = await newKeyPair();
      const res = await call(admin, 'POST', '/berth/v1/client-certificates', { Name: `${role}-user`, CSR: await certificateRequest(keys, `${role}-user`), Role: role });
      assert.equal(res.status, 201, res.body);
      bundles.set(role, { key: await keyPem(keys.privateKey), cert: (JSON.parse(res.body) as { Certificate: string }).Certificate });
    }
  });

  after(async () => {
    await manager?.stop();
  });

  test('the table names every route the API serves, and nothing else', () => {
    assert.deepEqual(registeredRoutes(manager.app, '/'), Object.keys(MATRIX).sort());
  });

  test('each role is refused with a 403 naming the role it takes exactly below the least role of each route, and let through from it on', async () => {
    const wrong: string[] = [];
    for (const [route, least] of Object.entries(MATRIX)) {
      const [method, pattern] = route.split(' ') as [string, string];
      const path = pattern.replace(/\{\w+\}/g, 'nonexistent').replace('*', 'nonexistent/json');
      for (const role of ['viewer', 'operator', 'admin'] as const) {
        const res = await call(bundles.get(role)!, method, path, method === 'POST' ? {} : undefined);
        const allowed = RANK.indexOf(role) >= RANK.indexOf(least);
        if (allowed && res.status === 403) wrong.push(`${role} refused ${route}: ${res.body}`);
        if (!allowed) {
          const message = res.status === 403 ? (JSON.parse(res.body) as { message: string }).message : '';
          if (!message.startsWith(`access denied: ${method} ${pattern.replace(/\{(\w+)\}/g, ':$1')} takes the ${least} role; this client's certificate gives ${role}`)) wrong.push(`${role} on ${route}: ${res.status} ${res.body}`);
        }
      }
    }
    assert.deepEqual(wrong, []);
  });

  test('join tokens leave GET /swarm for admins only; the refusal is in the audit log', async () => {
    const tokens = async (role: ClusterRole) => (JSON.parse((await call(bundles.get(role)!, 'GET', '/swarm')).body) as { JoinTokens: { Worker: string; Manager: string } }).JoinTokens;
    assert.match((await tokens('admin')).Worker, /^SWMTKN-1-/);
    assert.deepEqual(await tokens('operator'), { Worker: '', Manager: '' });
    assert.deepEqual(await tokens('viewer'), { Worker: '', Manager: '' });
    assert.equal((await call(bundles.get('viewer')!, 'POST', '/services/create', { Name: 'sneaky', TaskTemplate: { ContainerSpec: { Image: 'busybox' } } })).status, 403);
    const log = JSON.parse((await call(bundles.get('admin')!, 'GET', '/berth/v1/audit?user=viewer-user&action=service.create')).body) as { Status: number; Error: string }[];
    assert.equal(log[0]?.Status, 403);
    assert.match(log[0]!.Error, /^access denied: POST \/services\/create takes the operator role/);
  });
});
