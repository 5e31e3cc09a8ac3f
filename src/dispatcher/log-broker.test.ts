// The log broker through the dispatcher: real WebSocket sessions play the agents (speaking the
// protocol by hand), a real store holds the tasks, and the test reads subscriptions as the API does.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { newId } from '../common/ids.js';
import { Store } from '../store/index.js';
import { LOG_WINDOW_BYTES, logLineCost } from '../types/index.js';
import type { LogEvent, LogLineEvent, LogWireLine, ManagerMessage, Task, TaskState } from '../types/index.js';
import { addNode, addService, replicated } from '../../test/helpers/objects.js';
import { startDispatcher, type Harness, type NodeCreds } from '../../test/helpers/dispatcher.js';



/** An agent speaking the protocol by hand. */
class Agent {
  readonly messages: ManagerMessage[] = [];
  ws!: WebSocket;
  nodeId = '';
  #creds: NodeCreds | undefined;
  closed: number | undefined;

  constructor(private readonly h: Harness) {}

  async connect(): Promise<this> {
    this.closed = undefined;
    this.#creds ??= await this.h.join('h');
    this.ws = new WebSocket(this.h.url, this.h.tls(this.#creds));
    this.ws.on('open', () => this.ws.send(JSON.stringify({ type: 'hello', description: { Hostname: 'h' } })));
    this.ws.on('message', (d) => this.messages.push(JSON.parse(d.toString()) as ManagerMessage));
    this.ws.on('close', (code) => (this.closed = code));
    const w = await this.next('welcome');
    this.nodeId = w.nodeId;
    return this;
  }

  reconnect(): Promise<this> {
    return this.connect();
  }

  async next<T extends ManagerMessage['type']>(type: T, timeoutMs = 3000): Promise<Extract<ManagerMessage, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.messages.findIndex((m) => m.type === type);
      if (i >= 0) return this.messages.splice(i, 1)[0] as Extract<ManagerMessage, { type: T }>;
      if (Date.now() > deadline) throw new Error(`no ${type} message`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  logs(msg: object): void {
    this.ws.send(JSON.stringify({ type: 'logs', ...msg }));
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    const closed = new Promise((r) => this.ws.once('close', r));
    this.ws.close();
    await closed;
  }
}

function place(store: Store, serviceId: string, nodeId: string | undefined, slot: number, state: TaskState = 'running'): Task {
  return store.update((tx) =>
    tx.tasks.create({
      ID: newId(), Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: {}, ServiceID: serviceId, Slot: slot, ...(nodeId && { NodeID: nodeId }),
      Status: { Timestamp: '', State: state, Message: state }, DesiredState: 'running', BerthService: { Name: 'web', Labels: {} },
    }),
  );
}

const ts = (s: number): string => `2024-01-01T00:00:${String(s).padStart(2, '0')}.000000000Z`;
const wire = (seq: number, sec: number, data: string): LogWireLine => ({ seq, ts: ts(sec), stream: 1, data });
const lines = (events: LogEvent[]): string[] => events.map((e) => (e.kind === 'line' ? `${e.taskId.slice(0, 3)}:${e.data}` : `error:${e.message}`));

/** pull reads batches until the subscription ends or `want` events came. */
async function pull(it: AsyncIterator<LogEvent[]>, want = Infinity, timeoutMs = 3000): Promise<LogEvent[]> {
  const out: LogEvent[] = [];
  while (out.length < want) {
    const r = await Promise.race([it.next(), new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs))]);
    if (r === 'timeout') throw new Error(`timed out after ${out.length} events: ${JSON.stringify(lines(out))}`);
    if (r.done) break;
    out.push(...r.value);
  }
  return out;
}

test('a service\'s logs: each node is asked for its tasks, the history merged by time; a down node is reported at the end as Swarm does', async (t) => {
  const h = await startDispatcher(t);
  const { store, dispatcher } = h;
  const a = await new Agent(h).connect();
  const b = addNode(store, { hostname: 'away' }); // known, but its agent is not connected
  const svc = addService(store, replicated('web', 3));
  const ta = place(store, svc.ID, a.nodeId, 1);
  const tb = place(store, svc.ID, b.ID, 2);
  place(store, svc.ID, a.nodeId, 3, 'preparing'); // never ran: without follow, not asked for (Swarm)

  const sub = dispatcher.logs.subscribe({ serviceId: svc.ID, follow: false, stdout: true, stderr: true, tail: 5 });
  const it = sub[Symbol.asyncIterator]();
  const req = await a.next('logs-subscribe');
  assert.deepEqual(req.tasks, [{ taskId: ta.ID }]);
  assert.deepEqual(req.options, { follow: false, stdout: true, stderr: true, tail: 5 });
  a.logs({ sub: req.sub, taskId: ta.ID, lines: [wire(1, 1, 'one\n'), wire(2, 3, 'two\n')], historyDone: true, end: true });
  const events = await pull(it);
  assert.deepEqual(lines(events.slice(0, 2)), [`${ta.ID.slice(0, 3)}:one\n`, `${ta.ID.slice(0, 3)}:two\n`]);
  const first = events[0] as LogLineEvent;
  assert.deepEqual([first.nodeId, first.serviceId, first.stream, first.timestamp], [a.nodeId, svc.ID, 'stdout', ts(1)]);
  assert.deepEqual(events.slice(2), [
    {
      kind: 'error',
      message: `warning: incomplete log stream. some logs could not be retrieved for the following reasons: node ${b.ID} is not available (task ${tb.ID})`,
    },
  ]);
  assert.equal(dispatcher.logs.size, 0, 'the finished subscription is gone');
  await a.close();
});

test('agents send at most a window ahead; pulling acknowledges what went out; closing cancels on the agent', async (t) => {
  const h = await startDispatcher(t);
  const { store, dispatcher } = h;
  const a = await new Agent(h).connect();
  const svc = addService(store, replicated('web', 1));
  const task = place(store, svc.ID, a.nodeId, 1);
  const sub = dispatcher.logs.subscribe({ taskId: task.ID, follow: true, stdout: true, stderr: true });
  const it = sub[Symbol.asyncIterator]();
  const req = await a.next('logs-subscribe');
  const big = 'x'.repeat(1000) + '\n';
  const batch = Array.from({ length: 100 }, (_, i) => wire(i + 1, 1, big));
  a.logs({ sub: req.sub, taskId: task.ID, lines: batch, historyDone: true });
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(a.messages.filter((m) => m.type === 'logs-ack').length, 0, 'nothing acknowledged before the reader pulls');
  const got = await pull(it, 100);
  assert.equal(got.length, 100);
  const ack = await a.next('logs-ack');
  assert.deepEqual(ack, { type: 'logs-ack', sub: req.sub, taskId: task.ID, bytes: batch.reduce((n, l) => n + logLineCost(l), 0) });

  // An agent that ignores its window is cut off: the manager never holds more.
  const flood = Array.from({ length: Math.ceil((3 * LOG_WINDOW_BYTES) / 1000) }, (_, i) => wire(101 + i, 2, big));
  a.logs({ sub: req.sub, taskId: task.ID, lines: flood });
  a.logs({ sub: req.sub, taskId: task.ID, lines: [wire(1000, 3, 'ignored\n')] });
  const after = await pull(it, 1);
  assert.equal(after.length, 1, 'none of it was taken');
  assert.match(lines(after)[0]!, /berth: logs unavailable: task .*: the agent sent more than it was allowed/);

  sub.close();
  const cancel = await a.next('logs-cancel').catch(() => undefined);
  assert.equal(cancel, undefined, 'nothing left to cancel: the only task was cut off');
  assert.equal(dispatcher.logs.size, 0);
  await a.close();
});

test('following: a node that drops out is announced in its tasks\' streams and resumed after the last line received', async (t) => {
  const h = await startDispatcher(t);
  const { store, dispatcher } = h;
  const a = await new Agent(h).connect();
  const svc = addService(store, replicated('web', 2));
  const task = place(store, svc.ID, a.nodeId, 1);
  const sub = dispatcher.logs.subscribe({ serviceId: svc.ID, follow: true, stdout: true, stderr: false, since: ts(1) });
  const it = sub[Symbol.asyncIterator]();
  const req = await a.next('logs-subscribe');
  assert.deepEqual(req.options, { follow: true, stdout: true, stderr: false, since: ts(1) });
  a.logs({ sub: req.sub, taskId: task.ID, lines: [wire(1, 1, 'a\n'), wire(2, 1, 'b\n')], historyDone: true });
  assert.deepEqual(lines(await pull(it, 2)).map((l) => l.slice(4)), ['a\n', 'b\n']);

  // Another node sending for a task it does not hold is ignored.
  const intruder = await new Agent(h).connect();
  intruder.logs({ sub: req.sub, taskId: task.ID, lines: [wire(3, 1, 'forged\n')] });

  await a.close();
  const notice = await pull(it, 1);
  assert.match(lines(notice)[0]!, new RegExp(`berth: logs unavailable: node ${a.nodeId} disconnected unexpectedly; they resume when it reconnects`));
  await a.reconnect();
  const again = await a.next('logs-subscribe');
  assert.equal(again.sub, req.sub);
  assert.deepEqual(again.tasks, [{ taskId: task.ID, after: 2 }], 'resumed after the last line received');
  a.logs({ sub: req.sub, taskId: task.ID, lines: [wire(2, 1, 'b\n'), wire(3, 2, 'c\n')], historyDone: true });
  a.logs({ sub: req.sub, taskId: task.ID, lines: [wire(10, 3, 'j\n')], dropped: 6 });
  const [c, dropped, j] = (await pull(it, 3)) as LogLineEvent[];
  assert.deepEqual([c!.data, dropped!.data, dropped!.stream, dropped!.timestamp, j!.data], ['c\n', 'berth: 6 log lines dropped (buffer full)\n', 'stderr', ts(3), 'j\n']);

  // A new task of the service placed later is followed too.
  const later = place(store, svc.ID, a.nodeId, 2);
  const more = await a.next('logs-subscribe');
  assert.deepEqual(more.tasks, [{ taskId: later.ID }]);
  a.logs({ sub: req.sub, taskId: later.ID, lines: [wire(1, 3, 'new task\n')], historyDone: true });
  assert.deepEqual(lines(await pull(it, 1)).map((l) => l.slice(4)), ['new task\n'], 'no repeat, no loss, nothing forged');

  sub.close();
  assert.equal((await a.next('logs-cancel')).sub, req.sub);
  assert.deepEqual(await it.next(), { done: true, value: undefined });
  await a.close();
  await intruder.close();
});

test('a task not scheduled yet, and a malformed logs message', async (t) => {
  const h = await startDispatcher(t);
  const { store, dispatcher } = h;
  const svc = addService(store, replicated('web', 1));
  const pending = place(store, svc.ID, undefined, 1, 'pending');
  const events = await pull(dispatcher.logs.subscribe({ taskId: pending.ID, follow: false, stdout: true, stderr: true })[Symbol.asyncIterator]());
  assert.deepEqual(lines(events), [`error:warning: incomplete log stream. some logs could not be retrieved for the following reasons: task ${pending.ID} has not been scheduled`]);

  const a = await new Agent(h).connect();
  a.logs({ sub: 'x', taskId: 'y', lines: [{ seq: 1, ts: 'yesterday', stream: 1, data: 'x' }] });
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(a.closed, 1007, 'the session is closed');
});
