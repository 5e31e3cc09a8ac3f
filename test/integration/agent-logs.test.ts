// The agent's log collection on the real Podman engine: the agent's log service (TaskLogs) is
// driven as the session drives it (assignments, statuses, the manager's log messages), and what
// it sends the manager is recorded. Containers are made directly, labelled with a test node id.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type Dockerode from 'dockerode';
import { pino } from 'pino';
import { LABEL_NODE } from '../../src/agent/tasks/container-config.js';
import { TaskLogs } from '../../src/agent/logs/task-logs.js';
import { newId } from '../../src/common/ids.js';
import { LOG_WINDOW_BYTES, logLineCost } from '../../src/types/index.js';
import type { LogSubscriptionOptions, LogWireLine, LogsMessage, Task, TaskState } from '../../src/types/index.js';
import { TEST_IMAGE, removeNodeContainers, testEngine } from '../helpers/engine.js';
import { until } from '../helpers/wait.js';

const ALL: LogSubscriptionOptions = { follow: false, stdout: true, stderr: true };

/** The manager's side of the protocol: records what the agent sends, acknowledges on demand. */
class Recorder {
  readonly messages: LogsMessage[] = [];
  logs!: TaskLogs;
  send = (m: LogsMessage): void => void this.messages.push(m);

  of(sub: string, taskId: string): LogsMessage[] {
    return this.messages.filter((m) => m.sub === sub && m.taskId === taskId);
  }
  lines(sub: string, taskId: string): LogWireLine[] {
    return this.of(sub, taskId).flatMap((m) => m.lines);
  }
  ended(sub: string, taskId: string): LogsMessage | undefined {
    return this.of(sub, taskId).find((m) => m.end);
  }
  /** ackAll acknowledges everything received so far that was not yet. */
  acked = new Map<string, number>();
  ackAll(sub: string, taskId: string): void {
    const cost = this.lines(sub, taskId).reduce((n, l) => n + logLineCost(l), 0);
    const key = `${sub}/${taskId}`;
    const bytes = cost - (this.acked.get(key) ?? 0);
    this.acked.set(key, cost);
    if (bytes > 0) this.logs.handle({ type: 'logs-ack', sub, taskId, bytes });
  }
}

describe('agent log collection on Podman', { timeout: 180_000 }, () => {
  let docker: Dockerode;
  const nodeId = newId();
  const services: TaskLogs[] = [];
  let agentLog = '';

  const logger = pino({ level: 'debug' }, new Writable({ write: (chunk: Buffer, _e, cb) => void ((agentLog += chunk.toString()), cb()) }));

  const agent = (rec: Recorder, ring?: { ringLines: number; ringBytes: number }): TaskLogs => {
    rec.logs = new TaskLogs({ docker, log: logger, send: rec.send, ...ring });
    services.push(rec.logs);
    return rec.logs;
  };

  const container = async (cmd: string, tty = false, logDriver?: string): Promise<Dockerode.Container> =>
    docker.createContainer({
      Image: TEST_IMAGE, Cmd: ['sh', '-c', cmd], Tty: tty, Labels: { [LABEL_NODE]: nodeId },
      ...(logDriver && { HostConfig: { LogConfig: { Type: logDriver, Config: {} } } }),
    });

  const task = (id: string, containerId: string, state: TaskState, pid = 0, tty = false): Task => ({
    ID: id, Version: { Index: 1 }, CreatedAt: '', UpdatedAt: '', ServiceID: 's', Slot: 1, NodeID: nodeId, DesiredState: 'running',
    Spec: { ContainerSpec: { Image: TEST_IMAGE, TTY: tty } }, BerthService: { Name: 'logs', Labels: {} },
    Status: { Timestamp: '', State: state, Message: state, ContainerStatus: { ContainerID: containerId, ...(pid && { PID: pid }) } },
  });

  const exited = async (c: Dockerode.Container): Promise<number> => ((await c.wait()) as { StatusCode: number }).StatusCode;

  before(async () => {
    ({ docker } = await testEngine());
  });

  after(async () => {
    await Promise.all(services.map((s) => s.close()));
    await removeNodeContainers(docker, nodeId);
  });

  test('a container writing fast is never held back: numbered lines arrive complete and in order', async () => {
    const rec = new Recorder();
    // A ring that holds the whole burst: the reader, starved of acknowledgements while the
    // container runs, must not fall behind it (that is the next test).
    const logs = agent(rec, { ringLines: 50_000, ringBytes: 8 * 2 ** 20 });
    const c = await container('seq 1 20000; echo done >&2');
    const id = newId();
    logs.assigned(true, [task(id, c.id, 'ready')], []);
    // Following before the container starts: the reader waits for it, and never acknowledges.
    logs.handle({ type: 'logs-subscribe', sub: 'f', options: { ...ALL, follow: true }, tasks: [{ taskId: id }] });
    await c.start();
    logs.observe(id, task(id, c.id, 'running', (await c.inspect()).State.Pid).Status);
    const started = Date.now();
    assert.equal(await exited(c), 0);
    assert.ok(Date.now() - started < 20_000, 'the container ran to its end while nobody read');
    const held = rec.lines('f', id).reduce((n, l) => n + logLineCost(l), 0);
    assert.ok(held <= LOG_WINDOW_BYTES + 32 * 1024, `the agent sent no more than its window (${held} bytes)`);
    logs.observe(id, { ...task(id, c.id, 'complete').Status });

    // The reader, acknowledging now, gets every line — from the engine once the ring let them go.
    await until(() => {
      rec.ackAll('f', id);
      return rec.ended('f', id);
    }, 60_000, 'the whole log', 20);
    const lines = rec.lines('f', id);
    assert.equal(lines.length, 20001);
    assert.deepEqual(lines.map((l) => l.seq), Array.from({ length: 20001 }, (_, i) => i + 1), 'seqs 1..n, in order, none repeated');
    const out = lines.filter((l) => l.stream === 1).map((l) => l.data);
    assert.deepEqual(out, Array.from({ length: 20000 }, (_, i) => `${i + 1}\n`));
    assert.deepEqual(lines.filter((l) => l.stream === 2).map((l) => l.data), ['done\n']);
    assert.ok(!rec.of('f', id).some((m) => m.dropped), 'nothing lost: a finished log is whole in the engine');
    assert.equal(logs.readers, 0);
  });

  test('a flood beyond the buffer: a slow follower is told how many lines it lost, in the stream and in the agent log', async () => {
    const rec = new Recorder();
    const logs = agent(rec, { ringLines: 500, ringBytes: 2 ** 20 });
    const c = await container('sleep 1; seq 1 30000; sleep 60');
    await c.start();
    const id = newId();
    logs.assigned(true, [task(id, c.id, 'running', (await c.inspect()).State.Pid)], []);
    logs.handle({ type: 'logs-subscribe', sub: 'slow', options: { ...ALL, follow: true, tail: 0 }, tasks: [{ taskId: id }] });
    // Not acknowledging until the agent has read the whole flood: the ring moves on past the reader.
    let probe = 0;
    await until(async () => {
      const sub = `probe${++probe}`;
      logs.handle({ type: 'logs-subscribe', sub, options: { ...ALL, tail: 1 }, tasks: [{ taskId: id }] });
      await until(() => rec.ended(sub, id), 10_000, 'probe', 10);
      return rec.lines(sub, id)[0]?.data === '30000\n';
    }, 60_000, 'the flood read by the agent', 50);
    await until(() => {
      rec.ackAll('slow', id);
      return rec.lines('slow', id).at(-1)?.data === '30000\n';
    }, 30_000, 'the newest line', 20);
    const msgs = rec.of('slow', id);
    const dropped = msgs.reduce((n, m) => n + (m.dropped ?? 0), 0);
    const lines = rec.lines('slow', id);
    assert.ok(dropped > 0, 'lines were dropped');
    assert.equal(lines.length + dropped, 30000, 'every line is either delivered or counted as dropped');
    // The gap in seqs is exactly where the drop is reported.
    const at = msgs.findIndex((m) => m.dropped);
    const before = msgs.slice(0, at).flatMap((m) => m.lines).at(-1)?.seq ?? 0;
    assert.equal(msgs.slice(at).flatMap((m) => m.lines)[0]?.seq, before + msgs[at]!.dropped! + 1);
    for (let i = 1; i < lines.length; i++) assert.ok(lines[i]!.seq > lines[i - 1]!.seq, 'in order');
    assert.match(agentLog, /"dropped":\d+.*lines dropped for it/);

    logs.handle({ type: 'logs-cancel', sub: 'slow' });
    assert.equal(logs.readers, 0, 'the subscription is gone on the agent');
    const sent = rec.messages.length;
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(rec.messages.length, sent, 'nothing is sent after a cancel');
    assert.match(agentLog, /"sub":"slow".*log subscription cancelled/);
    await c.kill();
  });

  test('an ended task\'s log is read again from the engine after an agent restart, with the same numbers', async () => {
    const c = await container('echo first; echo oops >&2; seq 1 3000; exit 3');
    await c.start();
    assert.equal(await exited(c), 3);
    const id = newId();
    const read = async (options: LogSubscriptionOptions): Promise<LogWireLine[]> => {
      const rec = new Recorder();
      const logs = agent(rec); // a fresh agent: nothing in memory
      logs.assigned(true, [task(id, c.id, 'failed')], []);
      logs.handle({ type: 'logs-subscribe', sub: 's', options, tasks: [{ taskId: id }] });
      const end = await until(() => {
        rec.ackAll('s', id);
        return rec.ended('s', id);
      }, 30_000, 'end', 20);
      assert.equal(end.error, undefined);
      await logs.close();
      return rec.lines('s', id);
    };
    const all = await read(ALL);
    assert.equal(all.length, 3002);
    assert.equal(all.find((l) => l.stream === 1)?.data, 'first\n');
    assert.deepEqual(all.filter((l) => l.stream === 2).map((l) => l.data), ['oops\n']);
    const tail = await read({ ...ALL, tail: 3 });
    assert.deepEqual(tail, all.slice(-3), 'the same lines with the same numbers');
    const errOnly = await read({ ...ALL, stdout: false });
    assert.deepEqual(errOnly.map((l) => l.data), ['oops\n']);
    const since = await read({ ...ALL, since: '2999-01-01T00:00:00.000000000Z' });
    assert.deepEqual(since, []);
  });

  test('a TTY container\'s log: raw lines on stdout', async () => {
    const c = await container('echo one; echo two >&2', true);
    await c.start();
    await exited(c);
    const rec = new Recorder();
    const logs = agent(rec);
    const id = newId();
    logs.assigned(true, [task(id, c.id, 'complete', 0, true)], []);
    logs.handle({ type: 'logs-subscribe', sub: 't', options: ALL, tasks: [{ taskId: id }] });
    await until(() => rec.ended('t', id), 20_000, 'end', 20);
    assert.deepEqual(rec.lines('t', id).map((l) => [l.seq, l.stream, l.data]), [[1, 1, 'one\r\n'], [2, 1, 'two\r\n']]);
  });

  test('a log driver that keeps nothing readable: the reader is told at once', async () => {
    const c = await container('echo lost', false, 'none');
    await c.start();
    await exited(c);
    const rec = new Recorder();
    const logs = agent(rec);
    const id = newId();
    logs.assigned(true, [task(id, c.id, 'complete')], []);
    const asked = Date.now();
    logs.handle({ type: 'logs-subscribe', sub: 'n', options: ALL, tasks: [{ taskId: id }] });
    const end = await until(() => rec.ended('n', id), 10_000, 'end', 20);
    assert.match(end.error ?? '', /log driver keeps no log the engine can read/);
    assert.ok(Date.now() - asked < 5_000, 'not retried as if the engine were down');
  });

  test('a task removed from the node ends its readers; an unknown task ends at once without follow', async () => {
    const rec = new Recorder();
    const logs = agent(rec);
    const c = await container('sleep 60');
    await c.start();
    const id = newId();
    logs.assigned(true, [task(id, c.id, 'running', (await c.inspect()).State.Pid)], []);
    logs.handle({ type: 'logs-subscribe', sub: 'r', options: { ...ALL, follow: true }, tasks: [{ taskId: id }, { taskId: 'nope' }] });
    await until(() => rec.of('r', id).some((m) => m.historyDone), 10_000, 'history sent', 20);
    assert.equal(logs.readers, 2, 'a following reader waits for a task that may yet be assigned');
    logs.assigned(false, [], [id]);
    assert.ok(rec.ended('r', id), 'the removed task\'s stream ended');
    logs.handle({ type: 'logs-subscribe', sub: 'u', options: ALL, tasks: [{ taskId: 'unknown' }] });
    assert.deepEqual(rec.ended('u', 'unknown'), { type: 'logs', sub: 'u', taskId: 'unknown', lines: [], historyDone: true, end: true });
    logs.handle({ type: 'logs-cancel', sub: 'r' });
    assert.equal(logs.readers, 0);
    await c.kill();
  });
});
