// A real etcd member (Debian's etcd-server, 3.4) on loopback for one test file: its own data
// directory and free ports, stopped and removed at the end.

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { CapturedProcess } from './process.js';
import { freePort, tempDir } from './berth.js';

export interface TestEtcd {
  /** The client URL, http://127.0.0.1:PORT. */
  url: string;
  /** HOST:PORT, as `berth manager --store etcd://...` takes it. */
  hostPort: string;
  proc: CapturedProcess;
  /** SIGSTOP / SIGCONT: etcd unreachable for a while (requests hang, as when its host is cut off), then back. */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

export async function startEtcd(name = 'etcd'): Promise<TestEtcd> {
  const dir = tempDir(name);
  const [client, peer] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${client}`;
  const proc = new CapturedProcess(name, 'etcd', [
    '--name', name,
    '--data-dir', join(dir, 'data'),
    '--listen-client-urls', url,
    '--advertise-client-urls', url,
    '--listen-peer-urls', `http://127.0.0.1:${peer}`,
    '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`,
    '--initial-cluster', `${name}=http://127.0.0.1:${peer}`,
  ]);
  await proc.waitFor(/ready to serve client requests/, 30_000);
  return {
    url,
    hostPort: `127.0.0.1:${client}`,
    proc,
    pause: () => proc.child.kill('SIGSTOP'),
    resume: () => proc.child.kill('SIGCONT'),
    stop: async () => {
      proc.child.kill('SIGCONT');
      await proc.stop('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
