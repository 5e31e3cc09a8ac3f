// A real etcd member (Debian's etcd-server, 3.4) on loopback for one test file: its own data
// directory and free ports, stopped and removed at the end.

import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CapturedProcess } from './process.js';
import { freePort, tempDir } from './berth.js';

export interface TestEtcd {
  /** The client URL, http://127.0.0.1:PORT. */
  url: string;
  /** HOST:PORT, as `berth manager --store etcd://...` takes it. */
  hostPort: string;
  proc: CapturedProcess;
  /** With `tls`: the files `berth manager` takes as --etcd-cacert, --etcd-cert and --etcd-key. */
  tls?: { ca: string; cert: string; key: string };
  /** SIGSTOP / SIGCONT: etcd unreachable for a while (requests hang, as when its host is cut off), then back. */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

/**
 * tlsFiles makes, with openssl, a CA, a server certificate for 127.0.0.1 and a client
 * certificate in `dir`, as an operator would for an etcd that takes TLS clients only.
 */
function tlsFiles(dir: string): { ca: string; server: string; serverKey: string; cert: string; key: string } {
  const f = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=test etcd CA', '-keyout', f('ca.key'), '-out', f('ca.crt'));
  for (const [who, ext] of [['server', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth'], ['client', 'extendedKeyUsage=clientAuth']] as const) {
    writeFileSync(f(`${who}.ext`), `${ext}\n`);
    openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${who}`, '-keyout', f(`${who}.key`), '-out', f(`${who}.csr`));
    openssl('x509', '-req', '-in', f(`${who}.csr`), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '1', '-extfile', f(`${who}.ext`), '-out', f(`${who}.crt`));
  }
  return { ca: f('ca.crt'), server: f('server.crt'), serverKey: f('server.key'), cert: f('client.crt'), key: f('client.key') };
}

/** startEtcd runs one member; with `tls`, its clients must speak TLS and show a certificate of its CA. */
export async function startEtcd(name = 'etcd', opts: { tls?: boolean } = {}): Promise<TestEtcd> {
  const dir = tempDir(name);
  const [client, peer] = [await freePort(), await freePort()];
  const files = opts.tls ? tlsFiles(dir) : undefined;
  const url = `${files ? 'https' : 'http'}://127.0.0.1:${client}`;
  const proc = new CapturedProcess(name, 'etcd', [
    '--name', name,
    '--data-dir', join(dir, 'data'),
    '--listen-client-urls', url,
    '--advertise-client-urls', url,
    '--listen-peer-urls', `http://127.0.0.1:${peer}`,
    '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`,
    '--initial-cluster', `${name}=http://127.0.0.1:${peer}`,
    ...(files ? ['--cert-file', files.server, '--key-file', files.serverKey, '--client-cert-auth', '--trusted-ca-file', files.ca] : []),
  ]);
  await proc.waitFor(/ready to serve client requests/, 30_000);
  return {
    url,
    hostPort: `127.0.0.1:${client}`,
    proc,
    ...(files && { tls: { ca: files.ca, cert: files.cert, key: files.key } }),
    pause: () => proc.child.kill('SIGSTOP'),
    resume: () => proc.child.kill('SIGCONT'),
    stop: async () => {
      proc.child.kill('SIGCONT');
      await proc.stop('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A member of a test etcd cluster. */
export interface EtcdMember {
  name: string;
  url: string;
  hostPort: string;
  proc: CapturedProcess;
  pause(): void;
  resume(): void;
}

/**
 * startEtcdCluster runs `size` etcd members on loopback as one cluster (quorum: a majority), for
 * tests that lose members; stop() removes them all.
 */
export async function startEtcdCluster(size: number, name = 'etcd'): Promise<{ members: EtcdMember[]; endpoints: string; stop(): Promise<void> }> {
  const dir = tempDir(name);
  const ports = [];
  for (let i = 0; i < size; i++) ports.push({ client: await freePort(), peer: await freePort() });
  const initial = ports.map((p, i) => `${name}${i}=http://127.0.0.1:${p.peer}`).join(',');
  const members = ports.map((p, i) => {
    const member = `${name}${i}`;
    const url = `http://127.0.0.1:${p.client}`;
    const proc = new CapturedProcess(member, 'etcd', [
      '--name', member,
      '--data-dir', join(dir, member),
      '--listen-client-urls', url,
      '--advertise-client-urls', url,
      '--listen-peer-urls', `http://127.0.0.1:${p.peer}`,
      '--initial-advertise-peer-urls', `http://127.0.0.1:${p.peer}`,
      '--initial-cluster', initial,
      '--initial-cluster-state', 'new',
      '--heartbeat-interval', '100',
      '--election-timeout', '1000',
      // A member back from a partition must not force an election (etcd 3.5's default; 3.4's is off).
      '--pre-vote',
    ]);
    return { name: member, url, hostPort: `127.0.0.1:${p.client}`, proc, pause: () => proc.child.kill('SIGSTOP'), resume: () => proc.child.kill('SIGCONT') };
  });
  await Promise.all(members.map((m) => m.proc.waitFor(/ready to serve client requests/, 30_000)));
  return {
    members,
    endpoints: members.map((m) => m.hostPort).join(','),
    stop: async () => {
      for (const m of members) m.proc.child.kill('SIGCONT');
      await Promise.all(members.map((m) => m.proc.stop('SIGKILL')));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
