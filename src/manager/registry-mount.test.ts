// The registry's admin API on the manager's port, as `berth up` wires it: 404 until a registry
// runs in the process, then the registry's own routes, guard and audit with the platform's
// sessions; and the services' update check reading the registry's tags.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { silentLogger } from '../common/log.js';
import { Registry } from '../registry/index.js';
import { recordRegistryAdmin } from '../audit/index.js';
import { Manager } from './manager.js';
import { tempDir } from '../../test/helpers/berth.js';
import { basicAuth, registryFetch } from '../../test/helpers/registry-auth.js';
import { sha256 } from '../registry/distribution/test-helpers.js';

const ADMIN = 'Mount-admin-1';

describe("the registry's admin API on the manager's port", { timeout: 60_000 }, () => {
  const dir = tempDir('registry-mount');
  let manager: Manager;
  let registry: Registry | undefined;
  let base = '';
  const sessions = new Map<string, string>();

  const call = async (method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; json: { message?: string } & Record<string, unknown> }> => {
    const res = await fetch(base + path, {
      method,
      headers: { ...(token && { Authorization: `Bearer ${token}` }), ...(body !== undefined && { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : {} };
  };
  const session = async (user: string, password: string): Promise<string> => {
    if (!sessions.has(user)) sessions.set(user, (await call('POST', '/berth/v1/login', undefined, { Username: user, Password: password })).json.Token as string);
    return sessions.get(user)!;
  };

  before(async () => {
    manager = await Manager.start({ dataDir: join(dir, 'manager'), listen: '127.0.0.1:0', clusterListen: '127.0.0.1:0', log: silentLogger(), version: 'test', adminPassword: ADMIN });
    // Plain HTTP from loopback, tokens only: as the portal reaches it.
    base = `http://127.0.0.1:${new URL(manager.url).port}`;
  });
  after(async () => {
    await registry?.stop();
    await manager?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('without a registry in the process: 404 saying so, to callers signed in; 401 to others', async () => {
    const res = await call('GET', '/berth/v1/registry/projects', await session('admin', ADMIN));
    assert.equal(res.status, 404);
    assert.match(res.json.message!, /^this manager runs no registry: berth up starts one beside it/);
    assert.equal((await call('GET', '/berth/v1/registry/projects')).status, 401);
    assert.deepEqual(await call('GET', '/berth/v1/image-updates', await session('admin', ADMIN)), { status: 200, json: [] });
  });

  test("with one: the registry's routes with the platform's sessions, its guard deciding, its audit entry alone", async () => {
    registry = await Registry.start({ dataDir: join(dir, 'registry'), listen: '127.0.0.1:0', log: silentLogger(), store: manager.store });
    registry.events.onAdmin((c) => recordRegistryAdmin(manager.store, c));
    const r = registry;
    manager.serveRegistry({ routeAdmin: r.routeAdmin, tagDigest: (repository, tag) => r.tagDigest(repository, tag), names: [r.address] });
    const admin = await session('admin', ADMIN);
    const created = await call('POST', '/berth/v1/registry/projects', admin, { Name: 'shop' });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    assert.equal(created.json.CurrentUserRole, 'projectAdmin');
    // The Engine API's version prefix too; and the registry's own port sees the same project.
    assert.equal((await call('GET', '/v1.41/berth/v1/registry/projects/shop', admin)).json.Name, 'shop');
    assert.equal((await fetch(`${r.url}/berth/v1/registry/projects/shop`, { headers: { Authorization: basicAuth('admin', ADMIN) } })).status, 200);
    const bad = await call('POST', '/berth/v1/registry/projects', admin, { Name: 'Bad Name' });
    assert.equal(bad.status, 400, 'the body reaches the registry, which names the field');
    assert.match(bad.json.message!, /Name/);

    // A user with no cluster role passes the manager's access layer; the registry's guard decides.
    assert.equal((await call('POST', '/berth/v1/users', admin, { Name: 'dev', Password: 'Dev-pass-1' })).status, 201);
    const dev = await session('dev', 'Dev-pass-1');
    assert.equal((await call('GET', '/berth/v1/registry/projects', dev)).status, 200);
    const gc = await call('GET', '/berth/v1/registry/gc', dev);
    assert.equal(gc.status, 403);
    assert.match(gc.json.message!, /^dev is not a system administrator/);

    const entries = manager.store.view((tx) => tx.auditEntries.list()).filter((e) => e.Path.startsWith('/berth/v1/registry/'));
    assert.deepEqual(
      entries.map((e) => [e.User, e.Auth, e.Action, e.Status]),
      [
        ['admin', 'session', 'registry-project.create', 201],
        ['admin', 'session', 'registry-project.create', 400],
      ],
    );
  });

  test('the update check: services pinned to a digest of a tag that moved since, among those the caller sees', async () => {
    const r = registry!;
    const admin = await session('admin', ADMIN);
    const push = async (tag: string, seed: string): Promise<string> => {
      const config = JSON.stringify({ architecture: 'amd64', os: 'linux', seed });
      assert.equal((await registryFetch(r.url, 'admin', ADMIN, `/v2/shop/app/blobs/uploads/?digest=${sha256(config)}`, { method: 'POST', body: config })).status, 201);
      const manifest = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length }, layers: [] });
      const put = await registryFetch(r.url, 'admin', ADMIN, `/v2/shop/app/manifests/${tag}`, { method: 'PUT', body: manifest, headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' } });
      assert.equal(put.status, 201);
      return put.headers.get('docker-content-digest')!;
    };
    const old = await push('1', 'old');
    const service = async (name: string, image: string, labels: Record<string, string> = {}): Promise<string> => {
      const res = await call('POST', '/services/create', admin, { Name: name, Labels: labels, TaskTemplate: { ContainerSpec: { Image: image } } });
      assert.equal(res.status, 201, JSON.stringify(res.json));
      return res.json.ID as string;
    };
    const image = `${r.address}/shop/app:1@${old}`;
    const web = await service('web', image, { 'berth.team': 'web' });
    await service('api', image);
    await service('unpinned', `${r.address}/shop/app:1`);
    await service('elsewhere', `registry.example:5000/shop/app:1@${old}`);
    assert.deepEqual(await call('GET', '/berth/v1/image-updates', admin), { status: 200, json: [] }, 'nothing moved yet');

    const now = await push('1', 'new');
    const updates = (await call('GET', '/berth/v1/image-updates', admin)).json as unknown as Array<Record<string, string>>;
    assert.deepEqual(
      updates.map((u) => [u.ServiceName, u.Digest, u.LatestDigest, u.LatestImage]),
      [
        ['api', old, now, `${r.address}/shop/app:1@${now}`],
        ['web', old, now, `${r.address}/shop/app:1@${now}`],
      ],
    );
    assert.equal(updates.find((u) => u.ServiceName === 'web')!.ServiceID, web);

    // A team member sees their team's services only.
    assert.equal((await call('POST', '/berth/v1/teams', admin, { Name: 'web', Members: [{ User: 'dev', Role: 'viewer' }] })).status, 201);
    const mine = (await call('GET', '/berth/v1/image-updates', await session('dev', 'Dev-pass-1'))).json as unknown as Array<{ ServiceName: string }>;
    assert.deepEqual(mine.map((u) => u.ServiceName), ['web']);
  });
});
