// The store's backends side by side in one run: SQLite (synchronous=FULL, the default) and a
// real etcd member on loopback (Debian's etcd-server, its default settings). Measures what the API
// waits for — one service update made durable at a time (writes/s, p50/p99 latency) — and the
// scheduler's largest commit: N tasks assigned in one transaction, until durable (tasks/s).
//
//   node --import tsx bench/store.ts [--updates 2000] [--tasks 100000]

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../src/store/index.js';
import { EtcdBackend } from '../src/store/etcd-backend.js';
import type { Service, Task } from '../src/types/index.js';
import { startEtcd } from '../test/helpers/etcd.js';
import { arg } from './lib.js';

const UPDATES = arg('updates', 2000);
const TASKS = arg('tasks', 100_000);
const TARGET_TASKS = 20_000;

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;

function service(): Service {
  return { ID: 'svc1', Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', BerthSpecVersion: 0, Spec: { Name: 'web', Labels: {}, TaskTemplate: { ContainerSpec: { Image: 'registry.local/web:1' } } } };
}

function task(k: number): Task {
  return {
    ID: `task${k}`,
    Version: { Index: 0 },
    CreatedAt: '',
    UpdatedAt: '',
    Spec: { ContainerSpec: { Image: `registry.local/app${k % 100}:1` }, Resources: { Reservations: { NanoCPUs: 1e8, MemoryBytes: 64 * 1024 ** 2 } } },
    ServiceID: `svc${k % 100}`,
    Slot: k + 1,
    NodeID: `node${String(k % 10_000).padStart(6, '0')}`,
    Status: { Timestamp: new Date().toISOString(), State: 'assigned', Message: 'assigned' },
    DesiredState: 'running',
    BerthService: { Name: `app${k % 100}`, Labels: {} },
  };
}

async function measure(store: Store): Promise<{ writesPerS: number; p50: number; p99: number; tasksPerS: number }> {
  store.update((tx) => tx.services.create(service()));
  await store.durable();
  const latencies: number[] = [];
  const start = performance.now();
  for (let i = 0; i < UPDATES; i++) {
    const t0 = performance.now();
    store.update((tx) => {
      const s = tx.services.get('svc1')!;
      tx.services.update({ ...s, Spec: { ...s.Spec, Labels: { round: String(i) } } });
    });
    await store.durable();
    latencies.push(performance.now() - t0);
  }
  const writesPerS = (UPDATES / (performance.now() - start)) * 1000;
  const tasks = Array.from({ length: TASKS }, (_, k) => task(k));
  const t0 = performance.now();
  store.update((tx) => tasks.forEach((t) => tx.tasks.create(t)));
  await store.durable();
  const tasksPerS = (TASKS / (performance.now() - t0)) * 1000;
  return { writesPerS, p50: pct(latencies, 50), p99: pct(latencies, 99), tasksPerS };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-store-'));
  const etcd = await startEtcd('bench-etcd');
  try {
    const sqlite = new Store({ path: join(dir, 'state.db') });
    const onFile = await measure(sqlite);
    sqlite.close();
    const onEtcd = new Store({ backend: await EtcdBackend.open({ endpoints: [etcd.url], prefix: '/bench/' }) });
    const e = await measure(onEtcd);
    onEtcd.close();
    console.log(`\n${fmt(UPDATES)} service updates, each durable before the next; one commit of ${fmt(TASKS)} tasks\n`);
    console.log('| measure | SQLite (FULL) | etcd 3.4 (1 member, loopback) | etcd / SQLite |');
    console.log('| --- | --- | --- | --- |');
    console.log(`| updates/s | ${fmt(onFile.writesPerS)} | ${fmt(e.writesPerS)} | ${(e.writesPerS / onFile.writesPerS).toFixed(2)} |`);
    console.log(`| update latency p50 (ms) | ${onFile.p50.toFixed(2)} | ${e.p50.toFixed(2)} | ${(e.p50 / onFile.p50).toFixed(2)} |`);
    console.log(`| update latency p99 (ms) | ${onFile.p99.toFixed(2)} | ${e.p99.toFixed(2)} | ${(e.p99 / onFile.p99).toFixed(2)} |`);
    console.log(`| ${fmt(TASKS)}-task commit, tasks/s | ${fmt(onFile.tasksPerS)} | ${fmt(e.tasksPerS)} | ${(e.tasksPerS / onFile.tasksPerS).toFixed(2)} |`);
    console.log(`\netcd commit ${e.tasksPerS >= TARGET_TASKS ? 'meets' : 'misses'} the ${fmt(TARGET_TASKS)} tasks/s target.`);
  } finally {
    await etcd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
