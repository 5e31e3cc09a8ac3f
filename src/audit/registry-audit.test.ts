// The registry's admin API changes in the audit log, as `berth up` wires them: a registry on the
// manager's store, its admin activity recorded by recordRegistryAdmin.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../common/log.js';
import { Registry } from '../registry/index.js';
import { openTestStore } from '../../test/helpers/store.js';
import { recordRegistryAdmin, type AuditEntry } from './index.js';

test("the registry admin API's changes are entries: who, how they logged in, the object, the result; reads are not", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-registry-audit-'));
  const store = await openTestStore();
  const registry = await Registry.start({ dataDir: dir, listen: '127.0.0.1:0', log: silentLogger(), store, adminPassword: 'Admin12345' });
  registry.events.onAdmin((c) => recordRegistryAdmin(store, c));
  const admin = `Basic ${Buffer.from('admin:Admin12345').toString('base64')}`;
  const api = (method: string, path: string, auth?: string, body?: unknown) =>
    fetch(`${registry.url}/berth/v1/registry${path}`, { method, headers: { ...(auth && { Authorization: auth }), ...(body !== undefined && { 'Content-Type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
  try {
    assert.equal((await api('POST', '/projects', admin, { Name: 'shop' })).status, 201);
    assert.equal((await api('GET', '/projects/shop', admin)).status, 200);
    assert.equal((await api('POST', '/projects/shop/members', admin, { User: 'ghost', Role: 'guest' })).status, 404);
    assert.equal((await api('DELETE', '/projects/shop', admin)).status, 204);
    assert.equal((await api('POST', '/users', undefined, { Name: 'x', Password: 'Xx1234567' })).status, 401);
    const log = store.view((tx) => tx.auditEntries.list()).sort((a, b) => a.Time.localeCompare(b.Time));
    const seen = log.map((e: AuditEntry) => [e.User, e.Auth, e.Action, e.Object?.Name ?? '', e.Status, e.Error ?? '']);
    assert.deepEqual(seen, [
      ['admin', 'registry-login', 'registry-project.create', 'shop', 201, ''],
      ['admin', 'registry-login', 'registry-project.update', 'shop', 404, 'User: user ghost does not exist: create it first (berth user create)'],
      ['admin', 'registry-login', 'registry-project.delete', 'shop', 204, ''],
      ['unknown', 'none', 'registry-user.create', '', 401, 'authentication required: log in with berth login, or send Basic credentials (a user, or a robot account and its secret), or a platform token (Authorization: Bearer berth_...)'],
    ]);
    assert.ok(log.every((e) => e.Source === '127.0.0.1'));
  } finally {
    await registry.stop();
    store.close();
    await rm(dir, { recursive: true, force: true });
  }
});
