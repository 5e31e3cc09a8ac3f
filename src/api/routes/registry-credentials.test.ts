// Registry logins on the manager: the registry-credentials API and the X-Registry-Auth a service
// is created or updated with (kept, replaced, rolled back, never shown, sealed at rest, removed
// with the service), and which credential the dispatcher sends with each task.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Store } from '../../store/index.js';
import { encodeAuth } from '../../common/pull-auth.js';
import { dependenciesOf } from '../../dispatcher/assignments.js';
import { createApiServer } from '../server.js';
import { call, seedTask, spec, testApi, type TestApi } from '../test-helpers.js';

const BASE = '/berth/v1/registry-credentials';
const REG = '127.0.0.1:15000';
const IMAGE = `${REG}/team/app:1`;

async function withAuth(api: TestApi, method: string, url: string, auth: string | undefined, body: unknown): Promise<{ status: number; body: { ID?: string; message?: string } }> {
  const res = await api.app.inject({ method: method as 'POST', url, payload: JSON.stringify(body), headers: { 'content-type': 'application/json', ...(auth && { 'x-registry-auth': auth }) } });
  return { status: res.statusCode, body: res.json() };
}

function storedAuths(api: TestApi): string[] {
  return api.store.view((tx) => tx.serviceRegistryAuths.list().map((a) => a.Auth)).sort();
}

test('registry credentials: create, list, inspect, update, delete; the password never comes back', async () => {
  const api = await testApi();
  try {
    const created = await call(api.app, 'POST', BASE, { Name: 'team-robot', Registry: `http://${REG}/`, Username: 'robot', Password: 'pw-1', Labels: { a: 'b' } });
    assert.equal(created.status, 201);
    const id = created.body.ID as string;
    const shown = await call(api.app, 'GET', `${BASE}/team-robot`);
    assert.equal(shown.status, 200);
    assert.deepEqual(shown.body.Spec, { Name: 'team-robot', Labels: { a: 'b' }, Registry: REG, Username: 'robot' });
    const list = await call(api.app, 'GET', BASE);
    assert.equal(list.body.length, 1);
    assert.ok(!JSON.stringify(list.body).includes('pw-1'));

    assert.equal((await call(api.app, 'POST', BASE, { Name: 'team-robot', Registry: REG, Username: 'x', Password: 'y' })).status, 409);
    const bad = await call(api.app, 'POST', BASE, { Name: 'x', Registry: 'not a host', Username: 'u', Password: 'p' });
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /invalid Registry/);
    assert.match((await call(api.app, 'POST', BASE, { Name: 'y', Registry: REG, Username: 'u' })).body.message, /invalid Password/);
    // Unknown fields are dropped, as the Engine's decoder does.
    assert.equal((await call(api.app, 'POST', BASE, { Name: 'y', Registry: REG, Username: 'u', Password: 'p', Extra: 1 })).status, 201);

    const version = shown.body.Version.Index as number;
    assert.equal((await call(api.app, 'POST', `${BASE}/${id}/update?version=${version}`, { Username: 'robot2' })).status, 200);
    const after = api.store.view((tx) => tx.registryCredentials.get(id)!);
    assert.equal(after.Spec.Username, 'robot2');
    assert.equal(after.Spec.Password, 'pw-1', 'a password left out is kept');
    assert.equal((await call(api.app, 'POST', `${BASE}/${id}/update?version=${version}`, { Username: 'z' })).status, 409);
    const rename = await call(api.app, 'POST', `${BASE}/${id}/update?version=${after.Version.Index}`, { Name: 'other' });
    assert.equal(rename.status, 400);
    assert.match(rename.body.message, /can't be renamed/);

    assert.equal((await call(api.app, 'DELETE', `${BASE}/${id}`)).status, 204);
    assert.equal((await call(api.app, 'GET', `${BASE}/${id}`)).status, 404);
  } finally {
    await api.close();
  }
});

test('delete is refused while a service pulls with the credential, by label or by registry', async () => {
  const api = await testApi();
  try {
    await call(api.app, 'POST', BASE, { Name: 'older', Registry: REG, Username: 'u', Password: 'p' });
    // Created in the same millisecond, which is older would be decided by their random IDs.
    await new Promise((r) => setTimeout(r, 5));
    await call(api.app, 'POST', BASE, { Name: 'newer', Registry: REG, Username: 'u', Password: 'p' });
    const img = { TaskTemplate: { ContainerSpec: { Image: IMAGE } } };
    assert.equal((await call(api.app, 'POST', '/v1.41/services/create', spec('by-host', img))).status, 201);
    assert.equal((await call(api.app, 'POST', '/v1.41/services/create', spec('by-label', { ...img, Labels: { 'berth.registry-credential': 'newer' } }))).status, 201);
    const older = await call(api.app, 'DELETE', `${BASE}/older`);
    assert.equal(older.status, 400);
    assert.match(older.body.message, /registry credential 'older' is in use by the following service: by-host/);
    assert.match((await call(api.app, 'DELETE', `${BASE}/newer`)).body.message, /in use by the following service: by-label/);
    await call(api.app, 'DELETE', '/v1.41/services/by-label');
    assert.equal((await call(api.app, 'DELETE', `${BASE}/newer`)).status, 204);

    const missing = await call(api.app, 'POST', '/v1.41/services/create', spec('x', { ...img, Labels: { 'berth.registry-credential': 'nope' } }));
    assert.equal(missing.status, 400);
    assert.match(missing.body.message, /berth.registry-credential=nope names no registry credential/);
    const elsewhere = await call(api.app, 'POST', '/v1.41/services/create', spec('y', { Labels: { 'berth.registry-credential': 'older' } }));
    assert.equal(elsewhere.status, 400);
    assert.match(elsewhere.body.message, /is for registry 127.0.0.1:15000, but image localhost\/berth-demo:1 is pulled from localhost/);
  } finally {
    await api.close();
  }
});

test('X-Registry-Auth: stored with the service, hidden, kept or replaced on update, rolled back, removed with it', async () => {
  const api = await testApi();
  try {
    const first = encodeAuth({ username: 'alice', password: 'first-pass', serveraddress: REG });
    const second = encodeAuth({ username: 'alice', password: 'second-pass', serveraddress: REG });
    const img = { TaskTemplate: { ContainerSpec: { Image: IMAGE } } };
    const bad = await withAuth(api, 'POST', '/v1.41/services/create', 'bm90IGpzb24', spec('web', img));
    assert.equal(bad.status, 400);
    assert.match(bad.body.message ?? '', /invalid X-Registry-Auth header/);

    const created = await withAuth(api, 'POST', '/v1.41/services/create', first, spec('web', img));
    assert.equal(created.status, 201);
    assert.deepEqual(storedAuths(api), [first]);
    const svc = api.store.view((tx) => tx.services.get(created.body.ID!)!);
    seedTask(api.store, svc, { nodeId: 'n1' });
    for (const url of ['/v1.41/services/web', '/v1.41/services', '/v1.41/tasks']) {
      const text = JSON.stringify((await call(api.app, 'GET', url)).body);
      assert.ok(!text.includes('BerthRegistryAuth') && !text.includes(first), `${url} shows no auth`);
    }

    const version = () => api.store.view((tx) => tx.services.byName('web')!.Version.Index);
    // An update without the header keeps the auth (and changes nothing else here).
    const inspected = (await call(api.app, 'GET', '/v1.41/services/web')).body.Spec;
    assert.equal((await withAuth(api, 'POST', `/v1.41/services/web/update?version=${version()}`, undefined, { ...inspected, Labels: { v: '2' } })).status, 200);
    const kept = api.store.view((tx) => tx.services.byName('web')!);
    assert.ok(kept.Spec.TaskTemplate?.ContainerSpec?.BerthRegistryAuth);
    assert.equal(kept.Spec.TaskTemplate?.ContainerSpec?.BerthRegistryAuth, kept.PreviousSpec?.TaskTemplate?.ContainerSpec?.BerthRegistryAuth);
    assert.deepEqual(storedAuths(api), [first]);

    // The same auth again is no change; a new one replaces it, the previous spec keeps the old.
    assert.equal((await withAuth(api, 'POST', `/v1.41/services/web/update?version=${version()}`, first, { ...inspected, Labels: { v: '2' } })).status, 200);
    assert.equal(api.store.view((tx) => tx.services.byName('web')!.BerthSpecVersion), kept.BerthSpecVersion);
    assert.equal((await withAuth(api, 'POST', `/v1.41/services/web/update?version=${version()}`, second, { ...inspected, Labels: { v: '3' } })).status, 200);
    assert.deepEqual(storedAuths(api), [first, second].sort());
    // Two updates later the first auth is referenced by neither spec and is gone.
    assert.equal((await withAuth(api, 'POST', `/v1.41/services/web/update?version=${version()}`, undefined, { ...inspected, Labels: { v: '4' } })).status, 200);
    assert.deepEqual(storedAuths(api), [second]);
    assert.equal((await withAuth(api, 'POST', `/v1.41/services/web/update?version=${version()}&registryAuthFrom=bogus`, undefined, inspected)).status, 400);

    // A rollback takes the previous spec with its own auth.
    await withAuth(api, 'POST', `/v1.41/services/web/update?version=${version()}`, first, { ...inspected, Labels: { v: '5' } });
    await withAuth(api, 'POST', `/v1.41/services/web/update?version=${version()}&rollback=previous`, undefined, {});
    const rolled = api.store.view((tx) => tx.services.byName('web')!);
    const ref = rolled.Spec.TaskTemplate?.ContainerSpec?.BerthRegistryAuth;
    assert.equal(api.store.view((tx) => tx.serviceRegistryAuths.get(ref!)?.Auth), second);

    assert.equal((await call(api.app, 'DELETE', '/v1.41/services/web')).status, 200);
    assert.deepEqual(storedAuths(api), []);
  } finally {
    await api.close();
  }
});

test('the dispatcher sends each live task the login it pulls with; passwords and auths are sealed at rest', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-pullauth-'));
  const path = join(dir, 'state.db');
  const key = randomBytes(32);
  const store = new Store({ path, key });
  const app = createApiServer({ store, info: { version: 't', hostname: 'h' } });
  const api: TestApi = { store, app, close: async () => void (await app.close()) };
  let closed = false;
  try {
    await call(app, 'POST', BASE, { Name: 'robot', Registry: REG, Username: 'robot', Password: 'robot-secret-pw' });
    const header = encodeAuth({ username: 'alice', password: 'alice-secret-pw' });
    const img = { TaskTemplate: { ContainerSpec: { Image: IMAGE } } };
    const a = await withAuth(api, 'POST', '/v1.41/services/create', header, spec('with-header', img));
    const b = await withAuth(api, 'POST', '/v1.41/services/create', undefined, spec('by-host', img));
    const c = await withAuth(api, 'POST', '/v1.41/services/create', undefined, spec('public'));
    const task = (id: string, desired: 'running' | 'shutdown' = 'running') => seedTask(store, store.view((tx) => tx.services.get(id)!), { nodeId: 'n1', desired });
    const tasks = [task(a.body.ID!), task(b.body.ID!), task(c.body.ID!), task(b.body.ID!, 'shutdown')];
    const deps = store.view((tx) => dependenciesOf(tx, tasks));
    assert.equal(deps.pullAuths?.length, 2);
    const [withHeader, byHost] = deps.pullAuths!;
    assert.deepEqual({ ...withHeader, auth: undefined }, { taskId: tasks[0]!.ID, registry: REG, auth: undefined, source: "the service's X-Registry-Auth (--with-registry-auth)" });
    assert.equal(withHeader!.auth, header);
    assert.equal(byHost!.taskId, tasks[1]!.ID);
    assert.deepEqual(JSON.parse(Buffer.from(byHost!.auth, 'base64url').toString()), { username: 'robot', password: 'robot-secret-pw', serveraddress: REG });

    const raw = new Database(path, { readonly: true });
    const text = (raw.prepare('SELECT data FROM objects').all() as { data: string }[]).map((r) => r.data).join('\n');
    raw.close();
    assert.ok(!text.includes('robot-secret-pw') && !text.includes(header), 'no login is readable in the SQLite file');

    // Both survive a restart of the manager's store.
    await app.close();
    store.close();
    closed = true;
    const reopened = new Store({ path, key });
    try {
      const again = reopened.view((tx) => dependenciesOf(tx, tasks));
      assert.deepEqual(again.pullAuths, deps.pullAuths);
    } finally {
      reopened.close();
    }
  } finally {
    if (!closed) {
      await app.close();
      store.close();
    }
    rmSync(dir, { recursive: true, force: true });
  }
});
