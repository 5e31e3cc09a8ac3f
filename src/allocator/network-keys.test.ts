import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Store } from '../store/index.js';
import { newId } from '../common/ids.js';
import { ensureCluster } from '../manager/bootstrap.js';
import { TEST_ROOT_CERT } from '../../test/helpers/objects.js';
import { KEY_ROTATION_MS, NetworkKeys } from './network-keys.js';

test('network keys: none until an encrypted network exists, then one, rotated every 12 h keeping the newest two', () => {
  const store = new Store();
  ensureCluster(store, { rootCert: TEST_ROOT_CERT });
  const keys = new NetworkKeys(store);
  const [, w] = store.viewAndWatch((tx) => keys.init(tx));
  const pass = (): number | undefined => {
    for (const c of w.drain()) keys.observe(c);
    return keys.reconcile();
  };
  const network = (options: Record<string, string>): void => {
    store.update((tx) => tx.networks.create({ ID: newId(), Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: { Name: newId(), DriverConfiguration: { Name: 'overlay', Options: options } } }));
  };
  const stored = () => store.view((tx) => tx.cluster()!.BerthNetworkKeys);
  network({});
  assert.equal(pass(), undefined);
  assert.equal(stored(), undefined, 'no encrypted network: no key');
  network({ encrypted: '' });
  const wake = pass()!;
  assert.ok(Math.abs(wake - (Date.now() + KEY_ROTATION_MS)) < 5000, 'woken again in 12 h');
  const [first] = stored()!;
  assert.equal(first!.Serial, 1);
  assert.match(first!.Key, /^[0-9a-f]{72}$/, '36 random bytes');
  assert.equal(pass(), wake, 'not due: nothing new');
  assert.equal(stored()!.length, 1);
  // Twelve hours later, twice: a new key each time, the newest two kept.
  for (let i = 0; i < 2; i++) {
    store.update((tx) => {
      const c = tx.cluster()!;
      const [newest, ...rest] = c.BerthNetworkKeys!;
      tx.clusters.update({ ...c, BerthNetworkKeys: [{ ...newest!, CreatedAt: new Date(Date.now() - KEY_ROTATION_MS - 1).toISOString() }, ...rest] });
    });
    pass();
  }
  assert.deepEqual(stored()!.map((k) => k.Serial), [3, 2]);
  assert.notEqual(stored()![0]!.Key, stored()![1]!.Key);
  store.close();
});
