// The election on a real etcd: a lease that ends while the manager is still starting (slower than
// the TTL on a loaded machine) ends that term only — announcing the manager then does not fail
// its start, and the campaign leads again on a new lease.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import { EtcdBackend } from '../store/etcd-backend.js';
import { silentLogger } from '../common/log.js';
import { Store } from '../store/index.js';
import { startEtcd, type TestEtcd } from '../../test/helpers/etcd.js';
import { Leadership } from './leadership.js';

let etcd: TestEtcd | undefined;
after(async () => etcd?.stop());

test('a lease lost before the manager announces itself ends that term, not the start: it campaigns and leads again', async () => {
  etcd = await startEtcd('leadership');
  const backend = await EtcdBackend.open({ endpoints: [etcd.url], prefix: '/lead-test/' });
  // The store follows the backend's watch, which leading waits on.
  const store = new Store({ backend });
  const other = new Etcd3({ hosts: etcd.url });
  const leadership = await Leadership.join(backend, silentLogger());
  try {
    let deposed: Error | undefined;
    await leadership.campaign((reason) => (deposed = reason));
    assert.equal(leadership.leading, true);
    // etcd forgets the lease (as when keep-alives stalled past the TTL).
    const leases = await other.leaseClient.leaseLeases({});
    assert.equal(leases.leases.length, 1);
    await other.leaseClient.leaseRevoke({ ID: leases.leases[0]!.ID });
    await leadership.announce({ clusterAddr: '127.0.0.1:2377', apiUrl: 'https://127.0.0.1:7420' });
    assert.match(String(deposed?.message), /lease in etcd ended/);
    await leadership.campaign(() => undefined);
    assert.equal(leadership.leading, true, 'a new term leads');
    assert.ok(leadership.members.has('127.0.0.1:2377'), 'and names this manager');
  } finally {
    await leadership.stop();
    other.close();
    store.close();
  }
});
