// What access control costs the API (issue 14): the same manager API over TLS on one store of
// N tasks, with the access layer (caller from a bearer token, role check, team scope) and without
// it, side by side in one run — p50/p99 of `docker service ls` (GET /services) and of one
// service's task list (GET /tasks?filters={"service":[...]}, what `docker service ps` asks).
// Requests alternate between the two servers so drift hits both alike. The tasks are store
// objects (100k tasks do not run on one machine); the API and access code are the real ones.
//
//   node --import tsx bench/rbac.ts [--tasks 100000] [--services 1000] [--requests 400]

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authorize, callers } from '../src/access/index.js';
import { createApiServer } from '../src/api/index.js';
import { ensureCluster } from '../src/manager/bootstrap.js';
import { Store } from '../src/store/index.js';
import type { Service, Task } from '../src/types/index.js';
import { issueToken } from '../src/users/index.js';
import { TEST_ROOT_CERT } from '../test/helpers/objects.js';
import { arg } from './lib.js';

const TASKS = arg('tasks', 100_000);
const SERVICES = arg('services', 1000);
const REQUESTS = arg('requests', 400);

const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;
const meta = (id: string) => ({ ID: id, Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '' });

function populate(store: Store): void {
  ensureCluster(store, { rootCert: TEST_ROOT_CERT });
  store.update((tx) => {
    for (let s = 0; s < SERVICES; s++) {
      // One service in ten is team shop's (its stack), as a team would own a share of a cluster.
      const labels = s % 10 === 0 ? { 'com.docker.stack.namespace': 'shop' } : {};
      tx.services.create({ ...meta(`svc${s}`), BerthSpecVersion: 0, Spec: { Name: `app${s}`, Labels: labels, TaskTemplate: { ContainerSpec: { Image: `registry.local/app${s}:1` } }, Mode: { Replicated: { Replicas: TASKS / SERVICES } } } } as Service);
    }
    for (let k = 0; k < TASKS; k++) {
      const s = k % SERVICES;
      tx.tasks.create({
        ...meta(`task${k}`),
        Spec: { ContainerSpec: { Image: `registry.local/app${s}:1` } },
        ServiceID: `svc${s}`,
        Slot: Math.floor(k / SERVICES) + 1,
        NodeID: `node${k % 100}`,
        Status: { Timestamp: new Date().toISOString(), State: 'running', Message: 'started' },
        DesiredState: 'running',
        BerthService: { Name: `app${s}`, Labels: s % 10 === 0 ? { 'com.docker.stack.namespace': 'shop' } : {} },
      } as Task);
    }
    tx.users.create({ ...meta('u1'), Spec: { Name: 'ops', Role: 'admin' } });
    tx.users.create({ ...meta('u2'), Spec: { Name: 'dev' } });
    tx.teams.create({ ...meta('t1'), Spec: { Name: 'shop', Members: [{ User: 'dev', Role: 'operator' }], Stacks: ['shop'] } });
  });
}

function selfSigned(dir: string): { key: string; cert: string } {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=bench', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'pipe' });
  return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-rbac-'));
  const store = new Store({ path: join(dir, 'state.db') });
  try {
    const t0 = Date.now();
    populate(store);
    process.stdout.write(`${TASKS.toLocaleString('en-US')} tasks in ${SERVICES} services, stored in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    const tls = selfSigned(dir);
    writeFileSync(join(dir, 'ca.pem'), tls.cert);
    const info = { version: 'bench', hostname: 'bench' };
    const https = { ...tls, requestCert: true, rejectUnauthorized: false };
    const who = callers({ store, certificate: () => undefined });
    const on = createApiServer({ store, info, https, hooks: (api) => authorize(api, who, store) });
    const off = createApiServer({ store, info, https });
    await Promise.all([on.listen({ host: '127.0.0.1', port: 0 }), off.listen({ host: '127.0.0.1', port: 0 })]);
    const port = (app: typeof on) => (app.server.address() as { port: number }).port;
    const [admin, member] = store.update((tx) => [issueToken(tx, { User: 'ops', Kind: 'token', Name: 'bench' }).secret, issueToken(tx, { User: 'dev', Kind: 'token', Name: 'bench' }).secret]);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = (p: number, path: string, token?: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const start = process.hrtime.bigint();
        const req = request({ host: '127.0.0.1', port: p, path, agent, ca: tls.cert, headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 200 ? resolve(Number(process.hrtime.bigint() - start) / 1e6) : reject(new Error(`${path}: ${res.statusCode}`))));
        });
        req.on('error', reject);
        req.end();
      });
    const routes: Array<[string, (i: number) => string]> = [
      ['docker service ls (GET /services?status=true)', () => '/services?status=true'],
      ['docker service ps (GET /tasks?filters=service)', (i) => `/tasks?filters=${encodeURIComponent(JSON.stringify({ service: [`app${(i * 10) % SERVICES}`] }))}`],
    ];
    process.stdout.write(`${REQUESTS} requests each, alternating, one keep-alive TLS connection per server\n`);
    process.stdout.write(`${'request'.padEnd(48)} ${'off p50/p99 ms'.padStart(16)} ${'on p50/p99 ms'.padStart(16)} ${'p99 on/off'.padStart(10)} ${'team member p50/p99'.padStart(20)}\n`);
    for (const [name, path] of routes) {
      const times = { off: [] as number[], on: [] as number[], team: [] as number[] };
      for (let i = 0; i < 20; i++) await Promise.all([get(port(off), path(i)), get(port(on), path(i), admin), get(port(on), path(i), member)]); // warm up
      for (let i = 0; i < REQUESTS; i++) {
        times.off.push(await get(port(off), path(i)));
        times.on.push(await get(port(on), path(i), admin));
        times.team.push(await get(port(on), path(i), member));
      }
      const f = (xs: number[]) => `${pct(xs, 50).toFixed(2)}/${pct(xs, 99).toFixed(2)}`;
      process.stdout.write(`${name.padEnd(48)} ${f(times.off).padStart(16)} ${f(times.on).padStart(16)} ${(pct(times.on, 99) / pct(times.off, 99)).toFixed(2).padStart(10)} ${f(times.team).padStart(20)}\n`);
    }
    agent.destroy();
    await Promise.all([on.close(), off.close()]);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
