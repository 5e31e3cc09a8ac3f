import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../store/index.js';
import '../kinds.js';
import { bootstrap } from './bootstrap.js';
import { checkPassword, verifyPassword } from '../../users/passwords.js';

test('the first start makes admin (random strong password, returned once) and the public library project; later starts do nothing', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-bootstrap-'));
  const store = new Store({ path: join(dir, 'registry.db') });
  try {
    const password = await bootstrap(store);
    assert.ok(password);
    checkPassword(password);
    const admin = store.view((tx) => tx.users.byName('admin'))!;
    assert.equal(admin.Spec.Role, 'admin');
    assert.equal(await verifyPassword(password, admin.Spec.PasswordHash!), true);
    assert.equal(admin.Spec.PasswordHash!.includes(password), false);
    const library = store.view((tx) => tx.registryProjects.byName('library'))!;
    assert.deepEqual([library.Spec.Public, library.Spec.QuotaBytes], [true, -1]);
    assert.equal(await bootstrap(store), undefined);
    assert.equal(await bootstrap(store, 'other'), undefined, 'a later BERTH_ADMIN_PASSWORD does not reset the password');
    assert.equal(await verifyPassword(password, store.view((tx) => tx.users.byName('admin'))!.Spec.PasswordHash!), true);
  } finally {
    store.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('BERTH_ADMIN_PASSWORD is taken as given (not shown), but never empty', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-bootstrap-'));
  const store = new Store({ path: join(dir, 'registry.db') });
  try {
    await assert.rejects(bootstrap(store, ''), /BERTH_ADMIN_PASSWORD: give the first admin a password/);
    assert.equal(await bootstrap(store, 'bench-1'), undefined);
    assert.equal(await verifyPassword('bench-1', store.view((tx) => tx.users.byName('admin'))!.Spec.PasswordHash!), true);
  } finally {
    store.close();
    await rm(dir, { recursive: true, force: true });
  }
});
