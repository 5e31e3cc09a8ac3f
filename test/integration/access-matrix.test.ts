// The role × route matrix of the manager API (docs/access.md), cell by cell, against a real
// manager over TLS: a client certificate per role, a team member's token and a client with no
// credentials. The table below is the expectation, written independently of src/access: every
// route the API serves must be in it (a new route fails this test until someone decides who may
// call it), and each caller is refused (403 in Docker's error shape naming the role it takes;
// 401 without credentials) exactly where the table says.

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

/** The least role each route takes: anyone, even without credentials; self, any authenticated caller. */
const MATRIX: Record<string, ClusterRole | 'anyone' | 'self'> = {
  'GET /_ping': 'anyone',
  'GET /version': 'anyone',
  // The portal's files.
  'GET /': 'anyone',
  'GET /ui': 'anyone',
  'GET /ui/*': 'anyone',
  'GET /info': 'self',
  'GET /berth/v1/openapi.yaml': 'anyone',
  'POST /berth/v1/login': 'anyone',
  'GET /berth/v1/oidc': 'admin',
  'PUT /berth/v1/oidc': 'admin',
  'DELETE /berth/v1/oidc': 'admin',
  'GET /berth/v1/oidc/login': 'anyone',
  'GET /berth/v1/oidc/callback': 'anyone',
  'POST /berth/v1/oidc/device': 'anyone',
  'POST /berth/v1/oidc/device/token': 'anyone',
  'POST /berth/v1/oidc/refresh': 'anyone',
  'POST /berth/v1/logout': 'self',
  'GET /berth/v1/whoami': 'self',
  'GET /berth/v1/tokens': 'self',
  'POST /berth/v1/tokens': 'self',
  'DELETE /berth/v1/tokens/{id}': 'self',
  'GET /berth/v1/users': 'admin',
  'POST /berth/v1/users': 'admin',
  'GET /berth/v1/users/{name}': 'admin',
  'POST /berth/v1/users/{name}/update': 'admin',
  'DELETE /berth/v1/users/{name}': 'admin',
  'PUT /berth/v1/users/{name}/password': 'self',
  'GET /berth/v1/teams': 'self',
  'POST /berth/v1/teams': 'admin',
  'GET /berth/v1/teams/{name}': 'self',
  'POST /berth/v1/teams/{name}/update': 'self',
  'DELETE /berth/v1/teams/{name}': 'admin',
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
  'GET /berth/v1/exec/{id}/start': 'operator',
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
  'GET /events': 'viewer',
  'GET /berth/v1/registry-credentials': 'viewer',
  'GET /berth/v1/registry-credentials/{id}': 'viewer',
  'POST /berth/v1/registry-credentials': 'operator',
  'POST /berth/v1/registry-credentials/{id}/update': 'operator',
  'DELETE /berth/v1/registry-credentials/{id}': 'operator',
  'GET /berth/v1/image-updates': 'viewer',
  // The registry's admin API under berth up: signed in is enough here, the registry's guard decides.
  'GET /berth/v1/registry/*': 'self',
  'POST /berth/v1/registry/*': 'self',
  'PUT /berth/v1/registry/*': 'self',
  'DELETE /berth/v1/registry/*': 'self',
  'GET /berth/v1/stacks': 'viewer',
  'GET /berth/v1/stacks/{name}': 'viewer',
  'POST /berth/v1/stacks': 'operator',
  'DELETE /berth/v1/stacks/{name}': 'operator',
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

/**
 * What a member of a team (no cluster role; operator in their team) reaches besides `self`:
 * their team's services, tasks, task containers and execs, secrets, configs and networks (a missing one is a 404 like
 * another team's) and their events, and the nodes, swarm and image records the docker CLI needs to deploy.
 */
const TEAM = new Set([
  'GET /nodes', 'GET /nodes/{id}', 'GET /swarm', 'GET /distribution/*',
  'GET /services', 'GET /services/{id}', 'GET /services/{id}/logs', 'POST /services/create', 'POST /services/{id}/update', 'DELETE /services/{id}',
  'GET /tasks', 'GET /tasks/{id}', 'GET /tasks/{id}/logs',
  'GET /secrets', 'GET /secrets/{id}', 'POST /secrets/create', 'POST /secrets/{id}/update', 'DELETE /secrets/{id}',
  'GET /configs', 'GET /configs/{id}', 'POST /configs/create', 'POST /configs/{id}/update', 'DELETE /configs/{id}',
  'GET /networks', 'GET /networks/{id}', 'POST /networks/create', 'DELETE /networks/{id}',
  // Their teams' services' task containers (and the refusals that name docker service create).
  'GET /containers/json', 'GET /containers/{id}/json', 'GET /containers/{id}/logs', 'GET /containers/{id}/top', 'GET /containers/{id}/stats',
  'POST /containers/{id}/exec', 'POST /containers/create', 'POST /containers/prune', 'POST /containers/{id}/{action}', 'DELETE /containers/{id}',
  'GET /exec/{id}/json', 'POST /exec/{id}/start', 'POST /exec/{id}/resize', 'GET /berth/v1/exec/{id}/start',
  'GET /events',
  // Which of their services' images have a newer digest in the cluster's registry.
  'GET /berth/v1/image-updates',
  // Their teams' stacks (the handler refuses one of another team).
  'GET /berth/v1/stacks', 'GET /berth/v1/stacks/{name}', 'POST /berth/v1/stacks', 'DELETE /berth/v1/stacks/{name}',
]);

const RANK = ['anyone', 'self', 'viewer', 'operator', 'admin'];

/** A refusal of the route itself (a handler may still refuse what the body asks: another user's password, an unlabelled service). */
const refusedByAccess = (res: { status: number; body: string }): boolean => res.status === 401 || (res.status === 403 && res.body.includes('access denied:'));

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

  let teamToken = '';
  const call = (who: Bundle | string | undefined, method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const credentials = typeof who === 'object' ? { key: who.key, cert: who.cert } : {};
      const authorization = typeof who === 'string' ? { authorization: `Bearer ${who}` } : {};
      const req = request({ host: '127.0.0.1', port, method, path, ca, ...credentials, headers: { 'content-type': 'application/json', ...authorization } }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body: text }));
        // A log or event stream would follow for ever: its status is all this test needs.
        if (path.includes('/logs') || path === '/events') {
          res.on('close', () => resolve({ status: res.statusCode!, body: text }));
          res.destroy();
        }
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
    // A user with no cluster role, operator of a team: what they reach comes from the team alone.
    assert.equal((await call(admin, 'POST', '/berth/v1/users', { Name: 'dev', Password: 'Passw0rd-dev' })).status, 201);
    assert.equal((await call(admin, 'POST', '/berth/v1/teams', { Name: 'shop', Members: [{ User: 'dev', Role: 'operator' }], Stacks: ['shop'] })).status, 201);
    const login = await call(undefined, 'POST', '/berth/v1/login', { Username: 'dev', Password: 'Passw0rd-dev' });
    assert.equal(login.status, 200, login.body);
    teamToken = (JSON.parse(login.body) as { Token: string }).Token;
  });

  after(async () => {
    await manager?.stop();
  });

  test('the table names every route the API serves, and nothing else', () => {
    assert.deepEqual(registeredRoutes(manager.app, '/'), Object.keys(MATRIX).sort());
  });

  test('each caller is refused exactly below the least role of each route (403 naming it; 401 without credentials), and let through from it on', async () => {
    const wrong: string[] = [];
    for (const [route, least] of Object.entries(MATRIX)) {
      const [method, pattern] = route.split(' ') as [string, string];
      // The logout under test must not end the session the rest of the table uses.
      if (route === 'POST /berth/v1/logout') continue;
      const path = pattern.replace(/\{\w+\}/g, 'nonexistent').replace('*', 'nonexistent/json');
      const route_ = `${method} ${pattern.replace(/\{(\w+)\}/g, ':$1')}`;
      for (const role of ['viewer', 'operator', 'admin'] as const) {
        const res = await call(bundles.get(role)!, method, path, method === 'POST' || method === 'PUT' ? {} : undefined);
        const allowed = RANK.indexOf(role) >= RANK.indexOf(least);
        if (allowed && refusedByAccess(res)) wrong.push(`${role} refused ${route}: ${res.body}`);
        if (!allowed) {
          const message = res.status === 403 ? (JSON.parse(res.body) as { message: string }).message : '';
          if (!message.startsWith(`access denied: ${route_} takes the ${least} role; ${role}-user (certificate) has the ${role} role`)) wrong.push(`${role} on ${route}: ${res.status} ${res.body}`);
        }
      }
      const member = await call(teamToken, method, path, method === 'POST' || method === 'PUT' ? {} : undefined);
      const memberAllowed = least === 'anyone' || least === 'self' || TEAM.has(route);
      if (memberAllowed && refusedByAccess(member)) wrong.push(`team member refused ${route}: ${member.body}`);
      if (!memberAllowed && !(member.status === 403 && (JSON.parse(member.body) as { message: string }).message.startsWith(`access denied: ${route_} takes the ${least} role; dev (session) has no cluster role`))) wrong.push(`team member on ${route}: ${member.status} ${member.body}`);
      const nobody = await call(undefined, method, path, method === 'POST' || method === 'PUT' ? {} : undefined);
      if (least === 'anyone' ? nobody.status === 401 || nobody.status === 403 : nobody.status !== 401) wrong.push(`no credentials on ${route}: ${nobody.status} ${nobody.body}`);
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
