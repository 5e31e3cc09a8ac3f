// Scheduler throughput: N simulated ready nodes, M pending tasks across 100 services with a mix
// of reservations, constraints, spread preferences, replica limits and host ports. Measures
// (a) the pure placement decision and (b) the real Scheduler loop: snapshot, placement and the
// one store commit of every assignment, on a SQLite file with synchronous=FULL (the default).
//
//   node --import tsx bench/scheduler.ts [--nodes 10000] [--tasks 100000]

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Store } from '../src/store/index.js';
import { ClusterView, Scheduler, placeTasks } from '../src/scheduler/index.js';
import type { Node, Task, TaskSpec } from '../src/types/index.js';

const { values } = parseArgs({ options: { nodes: { type: 'string', default: '10000' }, tasks: { type: 'string', default: '100000' } } });
const NODES = Number(values.nodes);
const TASKS = Number(values.tasks);
const SERVICES = 100;
const TARGET = 20_000;
const GiB = 1024 ** 3;
const PEERS = [
  { name: 'Kubernetes scheduler_perf SchedulingBasic (5k nodes)', rate: 680 },
  { name: 'Kubernetes scheduler_perf SchedulingDaemonset (15k nodes)', rate: 1_100 },
  { name: 'Nomad C1M (5k nodes, 1M containers)', rate: 3_750 },
];

function node(k: number): Node {
  const id = `node${String(k).padStart(6, '0')}`;
  return {
    ID: id,
    Version: { Index: 0 },
    CreatedAt: '',
    UpdatedAt: '',
    Spec: { Role: 'worker', Availability: 'active', Labels: { zone: `z${k % 10}`, rack: `r${k % 200}`, disk: k % 3 === 0 ? 'ssd' : 'hdd' } },
    Description: {
      Hostname: id,
      Platform: { OS: 'linux', Architecture: k % 4 === 0 ? 'aarch64' : 'x86_64' },
      Resources: { NanoCPUs: (4 + (k % 8) * 4) * 1e9, MemoryBytes: (16 + (k % 8) * 16) * GiB },
      Engine: { Labels: { gen: `g${k % 3}` } },
    },
    Status: { State: 'ready', Addr: `10.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}` },
  };
}

/** Service s's task spec: every fifth service adds one placement feature, all of them satisfiable. */
function spec(s: number): { spec: TaskSpec; hostPort?: number } {
  const base: TaskSpec = { ContainerSpec: { Image: `registry.local/app${s}:1` }, Resources: { Reservations: { NanoCPUs: 1e8, MemoryBytes: 64 * 1024 ** 2 } } };
  switch (s % 5) {
    case 1:
      return { spec: { ...base, Placement: { Constraints: ['node.labels.disk==ssd', 'node.platform.os==linux'] } } };
    case 2:
      return { spec: { ...base, Placement: { Preferences: [{ Spread: { SpreadDescriptor: 'node.labels.zone' } }, { Spread: { SpreadDescriptor: 'node.labels.rack' } }] } } };
    case 3:
      return { spec: { ...base, Placement: { MaxReplicas: 1, Platforms: [{ OS: 'linux', Architecture: 'amd64' }] } } };
    case 4:
      return { spec: base, hostPort: 20_000 + s };
    default:
      return { spec: base };
  }
}

function tasksOf(s: number, count: number): Task[] {
  const { spec: taskSpec, hostPort } = spec(s);
  const endpoint = hostPort ? { Ports: [{ Protocol: 'tcp' as const, TargetPort: 80, PublishedPort: hostPort, PublishMode: 'host' as const }] } : undefined;
  return Array.from({ length: count }, (_, k) => ({
    ID: `svc${s}-task${k}`,
    Version: { Index: 0 },
    CreatedAt: '',
    UpdatedAt: '',
    Spec: taskSpec,
    ServiceID: `svc${s}`,
    Slot: k + 1,
    NodeID: '',
    Status: { Timestamp: new Date().toISOString(), State: 'pending', Message: 'created' },
    DesiredState: 'running',
    SpecVersion: { Index: 1 },
    BerthService: { Name: `app${s}`, Labels: {}, ...(endpoint ? { Endpoint: endpoint } : {}) },
  }));
}

const rate = (n: number, ms: number): number => Math.round((n / ms) * 1000);
const fmt = (n: number): string => n.toLocaleString('en-US');

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-sched-'));
  const store = new Store({ path: join(dir, 'state.db') });
  try {
    const seedStart = performance.now();
    store.update((tx) => {
      for (let k = 0; k < NODES; k++) tx.nodes.create(node(k));
    });
    const perService = Math.ceil(TASKS / SERVICES);
    let seeded = 0;
    for (let s = 0; s < SERVICES && seeded < TASKS; s++) {
      const batch = tasksOf(s, Math.min(perService, TASKS - seeded));
      store.update((tx) => batch.forEach((t) => tx.tasks.create(t)));
      seeded += batch.length;
    }
    console.log(`seeded ${fmt(NODES)} nodes and ${fmt(seeded)} pending tasks (${SERVICES} services) in ${Math.round(performance.now() - seedStart)} ms`);

    // (a) The pure decision, on the snapshot the loop would build.
    const view = new ClusterView();
    store.view((tx) => view.load(tx));
    const placeStart = performance.now();
    const decision = placeTasks(view.nodeInfos(), view.pendingTasks());
    const placeMs = performance.now() - placeStart;
    if (decision.unplaced.size > 0) console.log(`pure placement left ${decision.unplaced.size} unplaced, e.g. ${[...decision.unplaced.values()][0]}`);

    // (b) The real loop: snapshot, placement and the single commit of all assignments.
    const watcher = store.watch();
    const ac = new AbortController();
    const loopStart = performance.now();
    const running = new Scheduler(store).run(ac.signal);
    let assigned = 0;
    let commits = 0;
    while (assigned < seeded) {
      const c = await watcher.next();
      if (!c) break;
      commits++;
      for (const ch of c.changes) if (ch.kind === 'task' && ch.object.Status.State === 'assigned') assigned++;
    }
    const loopMs = performance.now() - loopStart;
    watcher.close();
    ac.abort();
    await running;

    const perNode = new Map<string, number>();
    const serviceOnNode = new Set<string>();
    let stored = 0;
    let violations = 0;
    store.view((tx) => {
      for (const t of tx.tasks.list()) {
        if (t.Status.State !== 'assigned' || !t.NodeID) continue;
        stored++;
        perNode.set(t.NodeID, (perNode.get(t.NodeID) ?? 0) + 1);
        // Spot-check the decisions: constraints, platforms, replica limits and host ports held.
        const n = tx.nodes.get(t.NodeID)!;
        const kind = Number(t.ServiceID.slice(3)) % 5;
        const pair = `${t.ServiceID}/${t.NodeID}`;
        if (kind === 1 && n.Spec.Labels?.disk !== 'ssd') violations++;
        if (kind === 3 && n.Description.Platform?.Architecture !== 'x86_64') violations++;
        if ((kind === 3 || kind === 4) && serviceOnNode.has(pair)) violations++;
        serviceOnNode.add(pair);
      }
    });
    const loads = [...perNode.values()];
    console.log(`(a) placement:          ${fmt(decision.assignments.size)} tasks in ${Math.round(placeMs)} ms = ${fmt(rate(seeded, placeMs))} tasks/s`);
    console.log(`(b) placement + commit: ${fmt(assigned)} tasks in ${Math.round(loopMs)} ms (${commits} commit${commits === 1 ? '' : 's'}) = ${fmt(rate(seeded, loopMs))} tasks/s`);
    console.log(`stored assignments: ${fmt(stored)} of ${fmt(seeded)}; tasks per node min ${Math.min(...loads)} max ${Math.max(...loads)} on ${fmt(perNode.size)} nodes`);
    const ours = rate(seeded, loopMs);
    for (const p of PEERS) console.log(`peer: ${p.name}: ${fmt(p.rate)} tasks/s; Berth placement+commit is ${(ours / p.rate).toFixed(1)}x`);
    console.log(
      `scheduler: ${fmt(seeded)} tasks on ${fmt(NODES)} nodes: placement ${fmt(rate(seeded, placeMs))} tasks/s, placement+commit ${fmt(ours)} tasks/s (target >= ${fmt(TARGET)})${ours >= TARGET ? '' : ' BELOW TARGET'}`,
    );
    if (stored !== seeded || decision.assignments.size !== seeded || violations > 0) {
      console.error(`FAIL: ${fmt(seeded - stored)} tasks were not assigned; ${violations} placements broke a filter`);
      return 1;
    }
    return 0;
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
