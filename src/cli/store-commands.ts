// `berth store backup|restore|migrate`: a manager's state (state.db, or an etcd prefix) to a file,
// from a file into an empty store, and from state.db onto etcd. Sealed kinds stay sealed: the
// file is of use only with the cluster's store key, which stays in the data directory (back it up
// with the certificates; docs/store.md). Restore and migrate want the manager stopped.

import { createConnection } from 'node:net';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseStoreUrl, type EtcdFiles } from '../manager/store-url.js';
import { SqliteBackend, parseSnapshot, restoreInto, snapshotOf, type StoreBackend } from '../store/index.js';
import { InvalidArgumentError } from '../types/index.js';

export interface StoreCliOptions extends EtcdFiles {
  dataDir: string;
  store?: string;
}

/** The store a manager with these flags uses; SQLite's must exist unless it is to be created. */
async function openStore(opts: StoreCliOptions, create: boolean): Promise<{ backend: StoreBackend; name: string }> {
  const etcd = parseStoreUrl(opts.store, opts);
  if (etcd) {
    const { EtcdBackend } = await import('../store/etcd-backend.js');
    return { backend: await EtcdBackend.open(etcd), name: `etcd prefix ${etcd.prefix} at ${etcd.endpoints.join(',')}` };
  }
  const path = join(opts.dataDir, 'state.db');
  if (create) mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  if (!create && !existsSync(path)) throw new InvalidArgumentError(`${path} does not exist: is --data-dir the manager's (default ~/.berth/manager; ~/.berth for berth up)?`);
  return { backend: new SqliteBackend({ path, synchronous: 'FULL' }), name: path };
}

/** Refuses while a manager answers on the data directory's socket: it would go on writing what is being replaced. */
async function assertStopped(dataDir: string): Promise<void> {
  const socket = join(dataDir, 'berth.sock');
  if (!existsSync(socket)) return;
  const running = await new Promise<boolean>((resolve) => {
    const c = createConnection(socket, () => {
      c.destroy();
      resolve(true);
    });
    c.on('error', () => resolve(false));
  });
  if (running) throw new InvalidArgumentError(`a manager is running on ${dataDir} (${socket} answers): stop it first`);
}

export async function runStoreBackup(opts: StoreCliOptions & { output: string }): Promise<void> {
  const { backend, name } = await openStore(opts, false);
  try {
    const snapshot = snapshotOf(backend);
    writeFileSync(opts.output, JSON.stringify(snapshot), { mode: 0o600 });
    process.stdout.write(`Backed up ${snapshot.rows.length} objects (commit ${snapshot.index}) from ${name} to ${opts.output}\n`);
  } finally {
    await backend.close();
  }
}

export async function runStoreRestore(opts: StoreCliOptions & { input: string }): Promise<void> {
  await assertStopped(opts.dataDir);
  let text: string;
  try {
    text = readFileSync(opts.input, 'utf8');
  } catch (err) {
    throw new InvalidArgumentError(`--input ${opts.input}: ${(err as Error).message}`);
  }
  const snapshot = parseSnapshot(text, opts.input);
  const { backend, name } = await openStore(opts, true);
  try {
    await restoreInto(backend, snapshot, name);
  } finally {
    await backend.close();
  }
  process.stdout.write(`Restored ${snapshot.rows.length} objects (commit ${snapshot.index}) into ${name}\n`);
}

export async function runStoreMigrate(opts: StoreCliOptions & { to: string }): Promise<void> {
  await assertStopped(opts.dataDir);
  if (!parseStoreUrl(opts.to, opts)) throw new InvalidArgumentError('--to must be an etcd://HOST:PORT[,...][/PREFIX] URL: the state moves from state.db onto etcd');
  const source = await openStore({ ...opts, store: 'sqlite', etcdCacert: undefined, etcdCert: undefined, etcdKey: undefined }, false);
  const snapshot = snapshotOf(source.backend);
  await source.backend.close();
  const target = await openStore({ ...opts, store: opts.to }, true);
  try {
    await restoreInto(target.backend, snapshot, target.name);
  } finally {
    await target.backend.close();
  }
  // Out of the way, so that the manager cannot start on the old state by mistake.
  const moved = join(opts.dataDir, 'state.db.migrated');
  for (const suffix of ['', '-wal', '-shm']) {
    const path = join(opts.dataDir, `state.db${suffix}`);
    if (existsSync(path)) renameSync(path, `${moved}${suffix}`);
  }
  process.stdout.write(
    `Moved ${snapshot.rows.length} objects (commit ${snapshot.index}) from ${source.name} to ${target.name}; the old file is ${moved}.\n` +
      `Start the manager with: berth manager --data-dir ${opts.dataDir} --store ${opts.to}\n`,
  );
}
