import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keyPem } from '../common/pki.js';
import { silentLogger } from '../common/log.js';
import { createRootCA, loadOrCreateRoot } from '../ca/index.js';
import { loadStoreKey, newUnlockKey, WrongUnlockKeyError } from '../store/index.js';
import { openTestStore } from '../../test/helpers/store.js';
import { MANAGER_UNLOCK_KEY_ID, UnavailableError } from '../types/index.js';
import { TEST_ROOT_CERT } from '../../test/helpers/objects.js';
import { adoptAutolock, Autolock, SEALED_FILE } from './autolock.js';
import { AutolockSync } from './autolock-sync.js';
import { ensureCluster } from './bootstrap.js';
import { serveLocked } from './locked.js';

const STORE_KEY = 'store.key';
const CA_KEY = join('certificates', 'swarm-root-ca.key');

/** A data dir as a manager's first start leaves it: the store key and the root CA in plain files. */
async function dataDir(): Promise<{ dir: string; storeKey: string; caKey: string; close(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-autolock-'));
  loadStoreKey(dir);
  await loadOrCreateRoot(join(dir, 'certificates'));
  return {
    dir,
    storeKey: readFileSync(join(dir, STORE_KEY), 'utf8'),
    caKey: readFileSync(join(dir, CA_KEY), 'utf8'),
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Every file under dir, with its contents. */
function allFiles(dir: string): string {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => readFileSync(join(e.parentPath, e.name), 'latin1'))
    .join('\n');
}

test('on, the keys live only in the sealed file; off, they are plain files again, byte for byte', async () => {
  const d = await dataDir();
  try {
    assert.equal(Autolock.locked(d.dir), false);
    const lock = Autolock.off(d.dir);
    assert.equal(lock.on, false);
    assert.equal(lock.unlockKey, '');
    lock.enable(newUnlockKey());
    const key = lock.unlockKey;
    assert.match(key, /^SWMKEY-1-[A-Za-z0-9+/]{43}$/);
    assert.ok(!existsSync(join(d.dir, STORE_KEY)) && !existsSync(join(d.dir, CA_KEY)), 'no plain key file');
    assert.equal(statSync(join(d.dir, SEALED_FILE)).mode & 0o777, 0o600);
    const everything = allFiles(d.dir);
    for (const [what, secret] of [['store key', d.storeKey.trim()], ['CA key', d.caKey.split('\n')[1]!], ['unlock key', key.slice(9)]]) {
      assert.ok(!everything.includes(secret!), `the ${what} is nowhere on disk in the clear`);
    }
    assert.equal(Autolock.locked(d.dir), true);

    const opened = Autolock.unseal(d.dir, `${key}\n`);
    assert.equal(opened.unlockKey, key);
    const root = await opened.root();
    assert.equal(opened.storeKey().toString('hex'), d.storeKey.trim());
    assert.equal(await keyPem(root.key), d.caKey, 'the same CA key');
    assert.equal(root.certPem, readFileSync(join(d.dir, 'certificates', 'swarm-root-ca.crt'), 'utf8'));

    opened.disable();
    assert.equal(readFileSync(join(d.dir, STORE_KEY), 'utf8'), d.storeKey);
    assert.equal(readFileSync(join(d.dir, CA_KEY), 'utf8'), d.caKey);
    assert.equal(statSync(join(d.dir, STORE_KEY)).mode & 0o777, 0o600);
    assert.ok(!existsSync(join(d.dir, SEALED_FILE)));
    assert.equal(opened.unlockKey, '');
    assert.equal(Autolock.locked(d.dir), false);
  } finally {
    d.close();
  }
});

test('rotation seals under a new key: the old one no longer opens it', async () => {
  const d = await dataDir();
  try {
    const lock = Autolock.off(d.dir);
    assert.throws(() => lock.rotate(newUnlockKey()), /cannot rotate the unlock key because autolock is not turned on/);
    lock.enable(newUnlockKey());
    const old = lock.unlockKey;
    lock.rotate(newUnlockKey());
    assert.notEqual(lock.unlockKey, old);
    assert.throws(() => Autolock.unseal(d.dir, old), WrongUnlockKeyError);
    assert.equal(Autolock.unseal(d.dir, lock.unlockKey).storeKey().toString('hex'), d.storeKey.trim());
  } finally {
    d.close();
  }
});

test('a change cut short: all plain files win, else the sealed file; plain leftovers go once unlocked', async () => {
  const d = await dataDir();
  try {
    const lock = Autolock.off(d.dir);
    lock.enable(newUnlockKey());
    // Turning autolock on stopped before the plain files went (or turning it off after they were all back).
    writeFileSync(join(d.dir, STORE_KEY), d.storeKey);
    writeFileSync(join(d.dir, CA_KEY), d.caKey);
    assert.equal(Autolock.locked(d.dir), false, 'the operator may never have seen the key');
    Autolock.off(d.dir);
    assert.ok(!existsSync(join(d.dir, SEALED_FILE)), 'the sealed leftover goes');

    const again = Autolock.off(d.dir);
    again.enable(newUnlockKey());
    // Turning autolock off stopped after one plain file was back: still locked, the key opens it.
    writeFileSync(join(d.dir, STORE_KEY), d.storeKey);
    assert.equal(Autolock.locked(d.dir), true);
    Autolock.unseal(d.dir, again.unlockKey);
    assert.ok(!existsSync(join(d.dir, STORE_KEY)), 'the plain leftover goes once unlocked');
  } finally {
    d.close();
  }
});

test('a damaged sealed file is told apart from a wrong key', async () => {
  const d = await dataDir();
  try {
    const lock = Autolock.off(d.dir);
    lock.enable(newUnlockKey());
    const path = join(d.dir, SEALED_FILE);
    const form = JSON.parse(readFileSync(path, 'utf8')) as { data: string };
    writeFileSync(path, JSON.stringify({ ...form, data: form.data.slice(0, -8) + 'AAAAAAAA' }));
    assert.throws(() => Autolock.unseal(d.dir, lock.unlockKey), (err: Error) => err instanceof UnavailableError && /keys\.sealed is damaged or was altered/.test(err.message));
  } finally {
    d.close();
  }
});

test('adoptAutolock: the spec says on exactly when the store holds a key; a data dir sealed before the key was stored gives it', async () => {
  const store = await openTestStore();
  ensureCluster(store, { rootCert: TEST_ROOT_CERT });
  const state = () => store.view((tx) => ({ on: tx.cluster()!.Spec.EncryptionConfig?.AutoLockManagers ?? false, key: tx.managerUnlockKeys.get(MANAGER_UNLOCK_KEY_ID)?.Key }));
  adoptAutolock(store, { on: false, unlockKey: '' });
  assert.deepEqual(state(), { on: false, key: undefined });
  const legacy = newUnlockKey();
  adoptAutolock(store, { on: true, unlockKey: legacy });
  assert.deepEqual(state(), { on: true, key: legacy });
  const version = store.view((tx) => tx.index);
  adoptAutolock(store, { on: false, unlockKey: '' });
  assert.deepEqual(state(), { on: true, key: legacy }, 'the stored key wins over a plain data dir: the sync loop seals it');
  assert.equal(store.view((tx) => tx.index), version, 'no write when they agree');
  store.close();
});

test('AutolockSync seals, re-seals and unseals this data dir as the stored key comes, changes and goes; a spec that disagrees changes nothing', async () => {
  const d = await dataDir();
  const store = await openTestStore();
  ensureCluster(store, { rootCert: TEST_ROOT_CERT });
  const lock = Autolock.off(d.dir);
  const stop = new AbortController();
  const loop = new AutolockSync(store, lock, silentLogger()).run(stop.signal);
  const setKey = (key: string | undefined, on = !!key): void =>
    store.update((tx) => {
      const row = tx.managerUnlockKeys.get(MANAGER_UNLOCK_KEY_ID);
      if (key && row) tx.managerUnlockKeys.update({ ...row, Key: key });
      else if (key) tx.managerUnlockKeys.create({ ID: MANAGER_UNLOCK_KEY_ID, Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Key: key });
      else if (row) tx.managerUnlockKeys.delete(row.ID);
      const cluster = tx.cluster()!;
      tx.clusters.update({ ...cluster, Spec: { ...cluster.Spec, EncryptionConfig: { AutoLockManagers: on } } });
    });
  const until = async (check: () => boolean, what: string): Promise<void> => {
    for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(check(), what);
  };
  try {
    setKey(undefined, true);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(lock.on, false, 'on in the spec with no key yet (a store from before keys were stored): nothing is sealed');
    const first = newUnlockKey();
    setKey(first);
    await until(() => lock.on && Autolock.locked(d.dir), 'sealed under the stored key');
    assert.equal(Autolock.unseal(d.dir, first).storeKey().toString('hex'), d.storeKey.trim());
    const second = newUnlockKey();
    setKey(second);
    await until(() => lock.unlockKey === second, 're-sealed under the new key');
    assert.throws(() => Autolock.unseal(d.dir, first), WrongUnlockKeyError);
    Autolock.unseal(d.dir, second);
    setKey(undefined);
    await until(() => !lock.on && !Autolock.locked(d.dir), 'plain files again');
    assert.equal(readFileSync(join(d.dir, STORE_KEY), 'utf8'), d.storeKey);
    assert.equal(readFileSync(join(d.dir, CA_KEY), 'utf8'), d.caKey);
  } finally {
    stop.abort();
    await loop;
    store.close();
    d.close();
  }
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** send makes one request over TCP or the unix socket, with no retry. */
function send(to: { port: number } | { socketPath: string }, method: string, path: string, body?: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ ...('port' in to ? { host: '127.0.0.1', port: to.port } : to), method, path, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const LOCKED = 'Swarm is encrypted and needs to be unlocked before it can be used. Please use "docker swarm unlock" to unlock it.';

test('a locked manager answers as a locked Swarm manager and unlocks with the right key once it has started', async () => {
  const d = await dataDir();
  const lock = Autolock.off(d.dir);
  lock.enable(newUnlockKey());
  const socketPath = join(d.dir, 'berth.sock');
  const gate = await serveLocked({ dataDir: d.dir, socketPath, tcp: { host: '127.0.0.1', port: 0 }, info: { version: '0.1.0', hostname: 'mgr' }, log: silentLogger() });
  try {
    const tcp = { port: gate.tcpPort! };
    const unix = { socketPath };
    for (const to of [tcp, unix]) {
      const info = await send(to, 'GET', '/v1.41/info');
      assert.equal(info.status, 200);
      const swarm = (JSON.parse(info.body) as { Swarm: Record<string, unknown> }).Swarm;
      assert.equal(swarm.LocalNodeState, 'locked');
      assert.equal(swarm.ControlAvailable, false);
      assert.equal((await send(to, 'HEAD', '/_ping')).headers.swarm, 'locked');
      assert.equal((await send(to, 'GET', '/v1.41/version')).status, 200);
      for (const [method, path] of [['GET', '/v1.41/services'], ['GET', '/v1.41/swarm'], ['GET', '/v1.41/swarm/unlockkey'], ['POST', '/v1.41/swarm/update?version=1']]) {
        const r = await send(to, method!, path!, method === 'POST' ? {} : undefined);
        assert.equal(r.status, 503, path);
        assert.deepEqual(JSON.parse(r.body), { message: LOCKED });
        assert.equal(r.headers.connection, 'close', 'no connection outlives the lock');
      }
    }
    const bad = await send(tcp, 'POST', '/v1.41/swarm/unlock', { UnlockKey: 'my key' });
    assert.equal(bad.status, 400);
    assert.match(bad.body, /invalid key string/);
    assert.equal((await send(tcp, 'POST', '/v1.41/swarm/unlock', {})).status, 400, 'no key at all');
    const wrong = await send(unix, 'POST', '/v1.41/swarm/unlock', { UnlockKey: 'SWMKEY-1-' + 'A'.repeat(43) });
    assert.equal(wrong.status, 401);
    assert.deepEqual(JSON.parse(wrong.body), { message: 'swarm could not be unlocked: invalid key provided' });

    let answered = false;
    const right = send(unix, 'POST', '/v1.41/swarm/unlock', { UnlockKey: lock.unlockKey }).then((r) => ((answered = true), r));
    const unlocked = await gate.unlocked;
    assert.equal(unlocked.unlockKey, lock.unlockKey);
    assert.equal(unlocked.storeKey().toString('hex'), d.storeKey.trim());
    await assert.rejects(send(tcp, 'GET', '/_ping'), /ECONNREFUSED/, 'the port is left to the full API');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(answered, false, 'the unlock is answered once the manager has started');
    gate.started();
    assert.equal((await right).status, 200);
  } finally {
    d.close();
  }
});

test('when the manager cannot start after the unlock, the unlock says why', async () => {
  const d = await dataDir();
  const lock = Autolock.off(d.dir);
  lock.enable(newUnlockKey());
  const socketPath = join(d.dir, 'berth.sock');
  const gate = await serveLocked({ dataDir: d.dir, socketPath, info: { version: '0.1.0', hostname: 'mgr' }, log: silentLogger() });
  try {
    assert.equal(gate.tcpPort, undefined, 'no TCP listener without --insecure-api');
    const answer = send({ socketPath }, 'POST', '/swarm/unlock', { UnlockKey: lock.unlockKey });
    await gate.unlocked;
    gate.failed(new Error('listen EADDRINUSE 127.0.0.1:2377'));
    const r = await answer;
    assert.equal(r.status, 503);
    assert.deepEqual(JSON.parse(r.body), { message: 'swarm component could not be started: listen EADDRINUSE 127.0.0.1:2377' });
  } finally {
    d.close();
  }
});

test('a root rotation writes and promotes root keys through autolock: sealed while it is on, never in the clear', async () => {
  const d = await dataDir();
  try {
    const lock = Autolock.off(d.dir);
    lock.enable(newUnlockKey());
    const next = (await createRootCA()).key;
    const nextPem = await keyPem(next);
    lock.write('swarm-root-ca.next.key', nextPem);
    assert.ok(!existsSync(join(d.dir, 'certificates', 'swarm-root-ca.next.key')), 'no plain next key');
    assert.ok(!allFiles(d.dir).includes(nextPem.split('\n')[1]!), 'the next key is nowhere on disk in the clear');
    const reopened = Autolock.unseal(d.dir, lock.unlockKey);
    assert.equal(reopened.read('swarm-root-ca.next.key'), nextPem, 'it survives a restart, sealed');
    reopened.write('swarm-root-ca.key', nextPem);
    reopened.remove('swarm-root-ca.next.key');
    assert.equal(await keyPem((await Autolock.unseal(d.dir, lock.unlockKey).root()).key), nextPem, 'promoted');
    reopened.disable();
    assert.equal(readFileSync(join(d.dir, CA_KEY), 'utf8'), nextPem, 'off: the promoted key as a plain file');
    assert.ok(!existsSync(join(d.dir, 'certificates', 'swarm-root-ca.next.key')));
  } finally {
    d.close();
  }
});
