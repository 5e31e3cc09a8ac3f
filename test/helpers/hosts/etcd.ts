// An etcd cluster across test hosts: a member per host on its address (client 2379, peer 2380),
// with a 1 s election timeout, as the HA tests and the failover benchmark run it.

import { join } from 'node:path';
import type { CapturedProcess } from '../process.js';
import type { TestHost } from './host.js';

/** startHostEtcd starts one member on each host and waits until all serve; etcdUrl lists them for --store. */
export async function startHostEtcd(hosts: TestHost[]): Promise<{ etcdUrl: string; members: CapturedProcess[] }> {
  const initial = hosts.map((h) => `${h.name}=http://${h.ip}:2380`).join(',');
  const members = hosts.map((h) =>
    h.spawn('etcd', [
      '--name', h.name,
      '--data-dir', join(h.dir, 'etcd'),
      '--listen-client-urls', `http://${h.ip}:2379`,
      '--advertise-client-urls', `http://${h.ip}:2379`,
      '--listen-peer-urls', `http://${h.ip}:2380`,
      '--initial-advertise-peer-urls', `http://${h.ip}:2380`,
      '--initial-cluster', initial,
      '--heartbeat-interval', '100',
      '--election-timeout', '1000',
      // A member back from a partition must not force an election (etcd 3.5's default; 3.4's is off).
      '--pre-vote',
    ]),
  );
  await Promise.all(members.map((m) => m.waitFor(/ready to serve client requests/, 60_000)));
  return { etcdUrl: `etcd://${hosts.map((h) => `${h.ip}:2379`).join(',')}`, members };
}
