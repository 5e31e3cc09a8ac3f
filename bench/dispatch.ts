// The cost of the mutual-TLS channel: how fast assignments reach 100 simulated agents through
// the real Dispatcher (WebSocket over TLS, node certificates from a real cluster CA, a store on
// a SQLite file: test/helpers/dispatcher.ts), beside how fast the manager's loops make them, and
// the same frames sent again over TLS and over a plain WebSocket. The agents run in a worker
// thread (dispatch-agents.ts): the other core, as agents are other machines.
//
// Each measure is a median of rounds:
// 0. the scheduler alone (as bench/scheduler.ts, at this size): pending tasks to one commit.
// 1. scheduling only: a service of N replicas on a store with the same number of ready nodes and
//    no sessions; the real allocator, replicated orchestrator and scheduler; until all N are assigned.
// 2. service to agents: the same with the dispatcher and live sessions; until all are assigned
//    (in the store) and until every agent holds its tasks.
// 3. channel only, one commit: N tasks committed assigned at once (as the scheduler commits a
//    batch), no other loop running; from the commit's end until every agent holds its tasks.
// 4. channel only, small commits: one task per node per commit, a commit per event-loop turn.
// 5. the frames of 3 and 4 replayed from a WebSocket server, over TLS (the cluster port's set-up,
//    client certificates) and over plain TCP: what TLS itself costs.
//
//   node --import tsx bench/dispatch.ts [--agents 100] [--tasks 10000] [--rounds 5]

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import type { EventLoopUtilization } from 'node:perf_hooks';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setImmediate as turn } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { WebSocketServer, type WebSocket } from 'ws';
import { Allocator } from '../src/allocator/index.js';
import { issueWithKey } from '../src/ca/index.js';
import { DEFAULT_HEARTBEAT_MS } from '../src/common/defaults.js';
import { newId } from '../src/common/ids.js';
import { MANAGER_SERVER_NAME, OU_MANAGER } from '../src/common/pki.js';
import { now as isoNow } from '../src/common/time.js';
import { ensureCluster } from '../src/manager/bootstrap.js';
import { ReplicatedOrchestrator } from '../src/orchestrator/index.js';
import { newTask } from '../src/orchestrator/tasks.js';
import { Scheduler } from '../src/scheduler/index.js';
import { Store } from '../src/store/index.js';
import type { Service, Task } from '../src/types/index.js';
import { startDispatcher, type Harness } from '../test/helpers/dispatcher.js';
import { addNode, addService, replicated, TEST_ROOT_CERT } from '../test/helpers/objects.js';
import type { FromAgents, ToAgents } from './dispatch-agents.js';

const { values } = parseArgs({ options: { agents: { type: 'string', default: '100' }, tasks: { type: 'string', default: '10000' }, rounds: { type: 'string', default: '5' } } });
const AGENTS = Number(values.agents);
const TASKS = Number(values.tasks);
const ROUNDS = Number(values.rounds);
/** Each replay sends the captured frames this many times over, for a time long enough to measure. */
const REPLAYS = 10;
/** As the dispatcher's limit on agents' frames. */
const MAX_FRAME_BYTES = 8 * 2 ** 20;

/** Wall time both threads can compare. */
const wall = (): number => performance.timeOrigin + performance.now();
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rate = (ms: number): number => Math.round((TASKS / ms) * 1000);
const fmt = (n: number): string => n.toLocaleString('en-US');

/** The manager's loops that turn a service into assigned tasks (the dispatcher runs apart). */
function runLoops(store: Store): AbortController {
  const ac = new AbortController();
  void new Allocator(store).run(ac.signal);
  void new ReplicatedOrchestrator(store).run(ac.signal);
  void new Scheduler(store).run(ac.signal);
  return ac;
}

/** When a service's tasks had all been created (orchestrator), all pending (allocator) and all assigned (scheduler), in ms from its commit's start. */
interface Stages {
  created: number;
  pending: number;
  assigned: number;
}

/**
 * createAndAssign creates a service of TASKS replicas (with the given id, so agents can be told
 * what to count first); `stages` resolves when all its tasks are assigned, with `start`'s offsets.
 */
function createAndAssign(store: Store, name: string, id = newId()): { start: number; stages: Promise<Stages> } {
  const watcher = store.watch();
  const start = performance.now();
  const spec = replicated(name, TASKS, { ContainerSpec: { Image: 'localhost/berth-demo:1', Args: ['sleep', '100000'] } });
  store.update((tx) => tx.services.create({ ID: id, Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: spec, BerthSpecVersion: tx.index }));
  const stages = (async () => {
    const n = { new: 0, pending: 0, assigned: 0 };
    const at: Partial<Stages> = {};
    while (n.assigned < TASKS) {
      const c = await watcher.next();
      if (!c) throw new Error('store closed');
      for (const ch of c.changes) {
        if (ch.kind !== 'task' || ch.object.ServiceID !== id) continue;
        const state = ch.object.Status.State;
        if ((state === 'new' || state === 'pending' || state === 'assigned') && ch.old?.Status.State !== state) n[state]++;
      }
      const ms = performance.now() - start;
      if (n.new === TASKS) at.created ??= ms;
      if (n.pending === TASKS) at.pending ??= ms;
    }
    watcher.close();
    return { created: at.created!, pending: at.pending!, assigned: performance.now() - start };
  })();
  return { start, stages };
}

function removeService(store: Store, id: string): void {
  store.update((tx) => {
    for (const t of tx.tasks.byService(id)) tx.tasks.delete(t.ID);
    tx.services.delete(id);
  });
}

/** assignedTasks makes `count` tasks of svc placed round-robin on the nodes, from slot `first`. */
function assignedTasks(svc: Service, nodeIds: string[], first: number, count: number): Task[] {
  return Array.from({ length: count }, (_, k) => ({
    ...newTask(svc, { slot: first + k, nodeId: nodeIds[(first + k - 1) % nodeIds.length]! }),
    Status: { Timestamp: isoNow(), State: 'assigned' as const, Message: 'scheduler assigned task to node' },
  }));
}

class Agents {
  // Loader hooks are per thread: the worker registers tsx before loading the TypeScript file.
  readonly #worker = new Worker(
    `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(new URL('./dispatch-agents.ts', import.meta.url).href)}); })`,
    { eval: true },
  );
  readonly #inbox: FromAgents[] = [];
  #wake: (() => void) | undefined;

  constructor() {
    this.#worker.on('message', (m: FromAgents) => {
      this.#inbox.push(m);
      this.#wake?.();
    });
    this.#worker.on('error', (err) => {
      console.error('simulated agents failed:', err);
      process.exit(1);
    });
  }

  send(msg: ToAgents): void {
    this.#worker.postMessage(msg);
  }

  async next<T extends FromAgents['type']>(type: T): Promise<Extract<FromAgents, { type: T }>> {
    for (;;) {
      const i = this.#inbox.findIndex((m) => m.type === type);
      if (i >= 0) return this.#inbox.splice(i, 1)[0] as Extract<FromAgents, { type: T }>;
      await new Promise<void>((r) => (this.#wake = r));
    }
  }

  /** expect tells the agents which service's tasks to count, and waits until they listen. */
  async expect(service: string, capture: boolean): Promise<void> {
    this.send({ type: 'expect', service, count: TASKS, capture });
    await this.next('expecting');
  }

  async close(): Promise<void> {
    this.send({ type: 'close' });
    await new Promise((r) => this.#worker.once('exit', r));
  }
}

/** 0 and 1: a store of its own with ready nodes and no sessions. */
function bareStore(path: string): Store {
  const store = new Store({ path });
  ensureCluster(store, { rootCert: TEST_ROOT_CERT });
  for (let i = 0; i < AGENTS; i++) addNode(store, { hostname: `sim${i}` });
  return store;
}

/**
 * 0: the scheduler alone, as bench/scheduler.ts measures it at this size: TASKS pending tasks on
 * the bare store's nodes, from a scheduler's start until its commit holds them all.
 */
async function schedulerOnly(store: Store, name: string): Promise<number> {
  const nodeIds = store.view((tx) => tx.nodes.list().map((n) => n.ID));
  const svc = addService(store, replicated(name, TASKS));
  const tasks = assignedTasks(svc, nodeIds, 1, TASKS).map((t) => ({ ...t, NodeID: '', Status: { ...t.Status, State: 'pending' as const, Message: 'pending task scheduling' } }));
  store.update((tx) => tasks.forEach((t) => tx.tasks.create(t)));
  const watcher = store.watch();
  const ac = new AbortController();
  const start = performance.now();
  const running = new Scheduler(store).run(ac.signal);
  for (let n = 0; n < TASKS; ) {
    const c = await watcher.next();
    for (const ch of c!.changes) if (ch.kind === 'task' && ch.object.ServiceID === svc.ID && ch.object.Status.State === 'assigned') n++;
  }
  const ms = performance.now() - start;
  watcher.close();
  ac.abort();
  await running;
  removeService(store, svc.ID);
  return ms;
}

/** 1: a service, to all its tasks assigned, on a store with no sessions. */
async function serviceOnly(store: Store, name: string): Promise<Stages> {
  const id = newId();
  const stages = await createAndAssign(store, name, id).stages;
  removeService(store, id);
  return stages;
}

/** 2: the same with the agents' sessions: also until every agent holds its tasks. */
async function serviceToAgents(store: Store, agents: Agents, name: string): Promise<{ stages: Stages; received: number }> {
  const id = newId();
  await agents.expect(id, false);
  const { start, stages } = createAndAssign(store, name, id);
  const [done, received] = await Promise.all([stages, agents.next('received')]);
  removeService(store, id);
  return { stages: done, received: received.at - (performance.timeOrigin + start) };
}

/**
 * replayOnce runs a WebSocket server that, once every agent is connected, sends each its frames
 * REPLAYS times over; it gives the time until all have arrived and this thread's busy time.
 */
async function replayOnce(h: Harness, agents: Agents, frames: string[][], tls: boolean): Promise<{ ms: number; busy: number }> {
  let server: Server;
  if (tls) {
    const serving = await issueWithKey(h.root, { subject: { commonName: 'm', role: OU_MANAGER, cluster: h.store.view((tx) => tx.cluster()!.ID) }, validityMs: 3600_000, names: [MANAGER_SERVER_NAME] });
    server = createHttpsServer({ key: serving.key, cert: serving.cert, ca: h.root.certPem, requestCert: true, rejectUnauthorized: false });
  } else {
    server = createHttpServer();
  }
  const wss = new WebSocketServer({ server, maxPayload: MAX_FRAME_BYTES });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  let start = 0;
  let elu: EventLoopUtilization | undefined;
  const sockets = new Map<number, WebSocket>();
  wss.on('connection', (ws, req) => {
    sockets.set(Number(new URL(req.url ?? '/', 'http://x').searchParams.get('agent')), ws);
    if (sockets.size < frames.length) return;
    start = wall();
    elu = performance.eventLoopUtilization();
    for (let k = 0; k < REPLAYS; k++) for (const [i, s] of sockets) for (const f of frames[i]!) s.send(f);
  });
  agents.send({ type: 'replay', url: `${tls ? 'wss' : 'ws'}://127.0.0.1:${port}`, tls, frames: frames.map((f) => f.length * REPLAYS) });
  const { at } = await agents.next('replayed');
  const busy = performance.eventLoopUtilization(elu).active;
  wss.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  return { ms: (at - start) / REPLAYS, busy: busy / REPLAYS };
}

interface Replay {
  ms: number[];
  busy: number[];
}

interface Figures {
  scheduler: number[];
  only: Stages[];
  svc: Stages[];
  svcReceived: number[];
  bulk: number[];
  /** The manager thread's busy time within `bulk` (event loop utilisation). */
  bulkBusy: number[];
  bulkTotal: number[];
  trickle: number[];
  replay: { bulkTls: Replay; bulkPlain: Replay; trickleTls: Replay; tricklePlain: Replay };
  wire: { bulk: { bytes: number; messages: number }; trickle: { bytes: number; messages: number } };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-dispatch-'));
  const cleanups: (() => void | Promise<void>)[] = [];
  let agents: Agents | undefined;
  let bare: Store | undefined;
  try {
    const replay = (): Replay => ({ ms: [], busy: [] });
    const f: Figures = {
      scheduler: [], only: [], svc: [], svcReceived: [], bulk: [], bulkBusy: [], bulkTotal: [], trickle: [],
      replay: { bulkTls: replay(), bulkPlain: replay(), trickleTls: replay(), tricklePlain: replay() },
      wire: { bulk: { bytes: 0, messages: 0 }, trickle: { bytes: 0, messages: 0 } },
    };
    bare = bareStore(join(dir, 'bare.db'));
    const store = bare;
    await schedulerOnly(store, 'warm-up');
    for (let r = 0; r < ROUNDS; r++) f.scheduler.push(await schedulerOnly(store, `sched${r}`));
    const bareLoops = runLoops(store);
    const h = await startDispatcher({ after: (fn) => cleanups.push(fn) }, DEFAULT_HEARTBEAT_MS, false, join(dir, 'state.db'));
    const creds = [];
    for (let i = 0; i < AGENTS; i++) creds.push(await h.join(`sim${i}`));
    agents = new Agents();
    const tls = h.tls() as { ca: string; servername: string };
    agents.send({ type: 'connect', url: h.url, agents: creds.map((c) => ({ cert: c.cert, key: c.key })), ca: tls.ca, servername: tls.servername });
    await agents.next('connected');
    const nodeIds = h.store.view((tx) => tx.nodes.list().filter((n) => n.Status.State === 'ready').map((n) => n.ID));
    if (nodeIds.length !== AGENTS) throw new Error(`${nodeIds.length} of ${AGENTS} nodes ready`);

    // 1 and 2, alternating which goes first, after a round of each that warms the code up.
    const loops = runLoops(h.store);
    const a = agents;
    await serviceOnly(store, 'warm-up');
    await serviceToAgents(h.store, a, 'warm-up');
    for (let r = 0; r < ROUNDS; r++) {
      const only = async () => void f.only.push(await serviceOnly(store, `only${r}`));
      const svc = async () => {
        const { stages, received } = await serviceToAgents(h.store, a, `svc${r}`);
        f.svc.push(stages);
        f.svcReceived.push(received);
      };
      for (const measure of r % 2 === 0 ? [only, svc] : [svc, only]) await measure();
    }
    loops.abort();
    bareLoops.abort();
    await turn();

    // 3 and 4: the dispatcher alone.
    let bulkFrames: string[][] = [];
    let trickleFrames: string[][] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const last = r === ROUNDS - 1;
      const bulk = addService(h.store, replicated(`bulk${r}`, TASKS));
      const tasks = assignedTasks(bulk, nodeIds, 1, TASKS);
      await agents.expect(bulk.ID, last);
      const start = performance.now();
      h.store.update((tx) => tasks.forEach((t) => tx.tasks.create(t)));
      const committed = wall();
      const elu = performance.eventLoopUtilization();
      const got = await agents.next('received');
      f.bulkBusy.push(performance.eventLoopUtilization(elu).active);
      f.bulk.push(got.at - committed);
      f.bulkTotal.push(got.at - (performance.timeOrigin + start));
      if (last) [bulkFrames, f.wire.bulk] = [got.frames!, { bytes: got.bytes, messages: got.messages }];
      removeService(h.store, bulk.ID);

      const trickle = addService(h.store, replicated(`trickle${r}`, TASKS));
      await agents.expect(trickle.ID, last);
      const t0 = wall();
      for (let first = 1; first <= TASKS; first += AGENTS) {
        const batch = assignedTasks(trickle, nodeIds, first, Math.min(AGENTS, TASKS - first + 1));
        h.store.update((tx) => batch.forEach((t) => tx.tasks.create(t)));
        await turn();
      }
      const got2 = await agents.next('received');
      f.trickle.push(got2.at - t0);
      if (last) [trickleFrames, f.wire.trickle] = [got2.frames!, { bytes: got2.bytes, messages: got2.messages }];
      removeService(h.store, trickle.ID);
    }

    // 5: the same frames, TLS and plain, alternating which goes first.
    const push = (to: Replay, x: { ms: number; busy: number }): void => void (to.ms.push(x.ms), to.busy.push(x.busy));
    for (let r = 0; r < ROUNDS; r++) {
      for (const secure of r % 2 === 0 ? [true, false] : [false, true]) {
        push(secure ? f.replay.bulkTls : f.replay.bulkPlain, await replayOnce(h, agents, bulkFrames, secure));
        push(secure ? f.replay.trickleTls : f.replay.tricklePlain, await replayOnce(h, agents, trickleFrames, secure));
      }
    }
    report(f);
  } finally {
    await agents?.close();
    bare?.close();
    for (const fn of cleanups.reverse()) await fn();
    rmSync(dir, { recursive: true, force: true });
  }
}

function report(f: Figures): void {
  const ms = (x: number): string => `${x.toFixed(0)} ms`;
  const row = (what: string, xs: number[], extra = ''): string => `| ${what} | ${ms(median(xs))} | ${fmt(rate(median(xs)))} | ${xs.map((x) => x.toFixed(0)).join(', ')} | ${extra} |`;
  const stages = (xs: Stages[]): string => {
    const m = (k: keyof Stages) => ms(median(xs.map((x) => x[k])));
    return `all created ${m('created')}, pending ${m('pending')}`;
  };
  const mib = (b: number): string => (b / 2 ** 20).toFixed(1);
  const tlsOverPlain = (a: number[], b: number[]): string => `TLS/plain time ${(median(a) / median(b)).toFixed(2)}`;
  console.log(`dispatch: ${fmt(TASKS)} tasks to ${AGENTS} agents (${fmt(TASKS / AGENTS)} each), median of ${ROUNDS} rounds`);
  console.log('| measure | time | tasks/s | rounds (ms) | notes |');
  console.log('| --- | --- | --- | --- | --- |');
  console.log(row(`0. the scheduler alone: ${fmt(TASKS)} pending tasks placed and committed`, f.scheduler));
  console.log(row('1. a service, to all its tasks assigned; no sessions', f.only.map((x) => x.assigned), stages(f.only)));
  console.log(row(`2a. the same with ${AGENTS} live sessions`, f.svc.map((x) => x.assigned), stages(f.svc)));
  console.log(row('2b. a service, to every agent holding its tasks', f.svcReceived));
  console.log(row(`3. one commit of ${fmt(TASKS)} assigned tasks: from its end to every agent holding them`, f.bulk, `${f.wire.bulk.messages} frames, ${mib(f.wire.bulk.bytes)} MiB; manager thread busy ${ms(median(f.bulkBusy))}`));
  console.log(row("3'. the same from the commit's start (writing the tasks to SQLite included)", f.bulkTotal));
  console.log(row(`4. ${fmt(TASKS / AGENTS)} commits of one task per node, a commit per event-loop turn`, f.trickle, `${f.wire.trickle.messages} frames, ${mib(f.wire.trickle.bytes)} MiB`));
  const busy = (x: Replay): string => `sender thread busy ${ms(median(x.busy))}`;
  console.log(row(`5a. the frames of 3 again, over TLS with client certificates (sent ${REPLAYS} times; per time)`, f.replay.bulkTls.ms, busy(f.replay.bulkTls)));
  console.log(row('5b. the frames of 3 again, over plain WebSocket', f.replay.bulkPlain.ms, `${busy(f.replay.bulkPlain)}; ${tlsOverPlain(f.replay.bulkTls.ms, f.replay.bulkPlain.ms)}`));
  console.log(row('5c. the frames of 4 again, over TLS', f.replay.trickleTls.ms, busy(f.replay.trickleTls)));
  console.log(row('5d. the frames of 4 again, over plain WebSocket', f.replay.tricklePlain.ms, `${busy(f.replay.tricklePlain)}; ${tlsOverPlain(f.replay.trickleTls.ms, f.replay.tricklePlain.ms)}`));
  const channel = rate(median(f.bulk));
  const scheduler = rate(median(f.scheduler));
  console.log(
    `dispatch: the channel delivers ${fmt(channel)} tasks/s after a commit; the scheduler places and commits ${fmt(scheduler)} tasks/s ` +
      `(channel/scheduler ${(channel / scheduler).toFixed(1)}); a service's tasks are assigned at ${fmt(rate(median(f.only.map((x) => x.assigned))))} tasks/s`,
  );
}

await main();
