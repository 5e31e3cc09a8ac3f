// The store a test runs on: in-memory SQLite by default; with BERTH_TEST_STORE=etcd, a fresh
// prefix of one real etcd member (test/helpers/etcd.ts), started on first use and shared by the
// test file's process. scripts/test.sh runs the unit tests both ways, so both backends serve
// every kind and transaction the suite exercises.

import { after } from 'node:test';
import { Store } from '../../src/store/index.js';
import { EtcdBackend } from '../../src/store/etcd-backend.js';
import { startEtcd, type TestEtcd } from './etcd.js';

const which = process.env.BERTH_TEST_STORE ?? 'sqlite';
if (which !== 'sqlite' && which !== 'etcd') throw new Error(`BERTH_TEST_STORE=${which}: set it to sqlite (the default) or etcd`);

let etcd: Promise<TestEtcd> | undefined;
const backends: EtcdBackend[] = [];
const prefixes = new WeakMap<Store, string>();

/** onEtcd says whether the tests run on etcd (BERTH_TEST_STORE=etcd). */
export const onEtcd = which === 'etcd';

/** openTestStore opens an empty store (with `key`, sealed kinds are encrypted where stored). */
export async function openTestStore(opts: { key?: Buffer } = {}): Promise<Store> {
  if (which === 'sqlite') return new Store(opts);
  etcd ??= startEtcd('test-store').then((e) => {
    // A crash or process.exit skips the after hook below; etcd must not outlive this process.
    process.once('exit', () => e.proc.child.kill('SIGKILL'));
    return e;
  });
  const prefix = `/test${backends.length + 1}/`;
  const backend = await EtcdBackend.open({ endpoints: [(await etcd).url], prefix });
  backends.push(backend);
  const store = new Store({ backend, ...opts });
  prefixes.set(store, prefix);
  return store;
}

/** followTestStore opens another manager's copy of a store on etcd: it loads the prefix and follows what `leader` commits. */
export async function followTestStore(leader: Store): Promise<Store> {
  const prefix = prefixes.get(leader);
  if (!prefix || !etcd) throw new Error('followTestStore needs a store from openTestStore on etcd (BERTH_TEST_STORE=etcd)');
  await leader.durable();
  const backend = await EtcdBackend.open({ endpoints: [(await etcd).url], prefix });
  backend.follower('a test follower');
  backends.push(backend);
  return new Store({ backend });
}

// Registered when a test file imports this module, so on the file's root test: it runs once all
// of the file's tests are done. Open etcd clients and the etcd child would keep the process alive.
after(async () => {
  if (!etcd) return;
  // Closing again a backend whose store the test closed is harmless.
  await Promise.all(backends.map((b) => b.close()));
  await (await etcd).stop();
});
