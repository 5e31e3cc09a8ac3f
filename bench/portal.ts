// The portal's budgets (issue 15), measured in a real Chromium against the real API and portal
// on a store of 1,000 services and 10,000 tasks on 100 nodes (store objects: 10,000 tasks do not
// run on one machine; the API, event stream and portal are the real ones):
// - the initial script (gzipped) against its 300 KB budget;
// - the dashboard and the service list interactive (their figures on screen), against 1 s, and
//   beside the peer a CLI user waits for: `docker service ls` printing the same 1,000 services;
// - a service's change (a scale) on screen in an open list, from the store commit, against 1 s.
//
//   node --import tsx bench/portal.ts [--services 1000] [--tasks 10000] [--runs 5]

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { callers } from '../src/access/index.js';
import { createApiServer } from '../src/api/index.js';
import { ensureCluster } from '../src/manager/bootstrap.js';
import { portalRoutes } from '../src/portal/index.js';
import { Store } from '../src/store/index.js';
import type { Node, Service, Task } from '../src/types/index.js';
import { directoryRoutes, LoginLimiter } from '../src/users/index.js';
import { TEST_ROOT_CERT } from '../test/helpers/objects.js';
import { launchBrowser, newPage } from '../test/helpers/browser.js';
import { arg, median } from './lib.js';

const SERVICES = arg('services', 1000);
const TASKS = arg('tasks', 10_000);
const NODES = 100;
const RUNS = arg('runs', 5);
const run = promisify(execFile);
// The page's session, set before it loads (the bench's API takes every caller as its admin).
const SIGNED_IN = `localStorage.setItem('berth.session', JSON.stringify({ Token: 'bench', User: 'bench', ExpiresAt: '' }))`;
const meta = (id: string) => ({ ID: id, Version: { Index: 0 }, CreatedAt: new Date().toISOString(), UpdatedAt: new Date().toISOString() });

function populate(store: Store): void {
  ensureCluster(store, { rootCert: TEST_ROOT_CERT });
  const now = new Date().toISOString();
  store.update((tx) => {
    for (let n = 0; n < NODES; n++) {
      tx.nodes.create({ ...meta(`node${n}`), Spec: { Role: 'worker', Availability: 'active', Labels: {} }, Description: { Hostname: `host-${n}` }, Status: { State: 'ready', Addr: `10.0.${n >> 8}.${n & 255}` } } as unknown as Node);
    }
    for (let s = 0; s < SERVICES; s++) {
      tx.services.create({ ...meta(`svc${s}`), BerthSpecVersion: 0, Spec: { Name: `app${s}`, Labels: {}, TaskTemplate: { ContainerSpec: { Image: `registry.local/app${s}:1` } }, Mode: { Replicated: { Replicas: TASKS / SERVICES } } } } as Service);
    }
    for (let k = 0; k < TASKS; k++) {
      const s = k % SERVICES;
      tx.tasks.create({
        ...meta(`task${k}`),
        Spec: { ContainerSpec: { Image: `registry.local/app${s}:1` } },
        ServiceID: `svc${s}`,
        Slot: Math.floor(k / SERVICES) + 1,
        NodeID: `node${k % NODES}`,
        Status: { Timestamp: now, State: 'running', Message: 'started' },
        DesiredState: 'running',
        BerthService: { Name: `app${s}`, Labels: {} },
      } as Task);
    }
  });
}

function initialScriptKb(): number {
  const dist = resolve(import.meta.dirname, '../dist/ui');
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  let bytes = 0;
  for (const m of html.matchAll(/(?:src|href)="\/ui\/(assets\/[^"]+\.js)"/g)) bytes += gzipSync(readFileSync(join(dist, m[1]!))).length;
  return bytes / 1024;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-portal-'));
  const store = new Store({ path: join(dir, 'state.db') });
  const browser = await launchBrowser();
  try {
    populate(store);
    const who = callers({ store, certificate: () => undefined });
    // Plain HTTP off the loopback marker: every caller is the --insecure-api admin, so the page needs no login.
    const app = createApiServer({ store, info: { version: 'bench', hostname: 'bench' }, plugins: [(s) => directoryRoutes(s, { store, callerOf: who.callerOf, limiter: new LoginLimiter() }), (s) => portalRoutes(s)] });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const rows: Array<[string, number[], number, string]> = [];

    const open = async (path: string, ready: (page: Awaited<ReturnType<typeof newPage>>['page']) => Promise<unknown>): Promise<number> => {
      const { context, page } = await newPage(browser);
      await context.addInitScript(SIGNED_IN);
      const start = Date.now();
      await page.goto(base + path);
      await ready(page);
      const ms = Date.now() - start;
      await context.close();
      return ms;
    };
    const dashboard: number[] = [];
    const list: number[] = [];
    const cli: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      dashboard.push(await open('/ui/', async (p) => Promise.all([p.getByText(String(SERVICES), { exact: true }).first().waitFor(), p.getByText(String(NODES), { exact: true }).first().waitFor()])));
      // The first page of rows (50, sorted by name) on screen.
      list.push(await open('/ui/services', async (p) => Promise.all([p.getByText(`${SERVICES} services`).waitFor(), p.getByRole('link', { name: 'app49', exact: true }).waitFor()])));
      const start = Date.now();
      const { stdout } = await run('docker', ['service', 'ls'], { env: { PATH: process.env.PATH, HOME: dir, DOCKER_HOST: base.replace('http:', 'tcp:') }, maxBuffer: 64 * 2 ** 20 });
      cli.push(Date.now() - start);
      if (stdout.trim().split('\n').length !== SERVICES + 1) throw new Error(`docker service ls printed ${stdout.split('\n').length} lines`);
    }
    rows.push(['dashboard interactive (ms)', dashboard, 1000, `peer docker service ls ${median(cli)}`]);
    rows.push(['service list interactive (ms)', list, 1000, `peer docker service ls ${median(cli)}`]);

    // A scale, committed to the store, on screen in an open service list.
    const { context, page } = await newPage(browser);
    await context.addInitScript(SIGNED_IN);
    await page.goto(`${base}/ui/services`);
    await page.getByText(`${SERVICES} services`).waitFor();
    const perTask = TASKS / SERVICES;
    const latency: number[] = [];
    for (let i = 0; i < RUNS * 2; i++) {
      // Services on the first page (app0..app49, by name): the row is on screen.
      const s = (i * 7) % 50;
      const start = Date.now();
      store.update((tx) => {
        const svc = tx.services.get(`svc${s}`)!;
        tx.services.update({ ...svc, Spec: { ...svc.Spec, Mode: { Replicated: { Replicas: perTask + 1 + (i % 2) } } } });
      });
      await page.getByRole('row', { name: new RegExp(`^app${s} `) }).getByText(`${perTask}/${perTask + 1 + (i % 2)}`).waitFor();
      latency.push(Date.now() - start);
    }
    await context.close();
    rows.push(['a change on screen, from its commit (ms)', latency, 1000, 'live, from GET /events']);

    process.stdout.write(`${SERVICES.toLocaleString('en-US')} services, ${TASKS.toLocaleString('en-US')} tasks, ${NODES} nodes; Chromium ${browser.version()}; ${RUNS} runs\n`);
    const kb = initialScriptKb();
    process.stdout.write(`${'initial script, gzipped (KB)'.padEnd(42)} ${kb.toFixed(0).padStart(8)} ${'budget 300'.padStart(12)} ${(kb / 300).toFixed(2).padStart(8)}\n`);
    process.stdout.write(`${'measure'.padEnd(42)} ${'median'.padStart(8)} ${'max'.padStart(6)} ${'budget'.padStart(7)} ${'max/budget'.padStart(10)}  peer\n`);
    for (const [name, xs, budget, peer] of rows) process.stdout.write(`${name.padEnd(42)} ${String(median(xs)).padStart(8)} ${String(Math.max(...xs)).padStart(6)} ${String(budget).padStart(7)} ${(Math.max(...xs) / budget).toFixed(2).padStart(10)}  ${peer}\n`);
    await app.close();
  } finally {
    await browser.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
