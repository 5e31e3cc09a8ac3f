import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LogWireLine } from '../types/index.js';
import { LogMerge, droppedNotice } from './log-merge.js';

const ts = (s: number): string => `2024-01-01T00:00:${String(s).padStart(2, '0')}.000000000Z`;
const line = (seq: number, sec: number, data = `l${seq}`): LogWireLine => ({ seq, ts: ts(sec), stream: 1, data });
const texts = (m: LogMerge): string[] => m.take(1000).map((l) => `${l.taskId}:${l.data}`);

test('history is merged across tasks by timestamp, waiting for a task that has sent nothing yet', () => {
  const m = new LogMerge();
  m.add('a');
  m.add('b');
  m.push('a', { lines: [line(1, 1, 'a1'), line(2, 5, 'a2')] });
  assert.deepEqual(texts(m), [], 'b may still send an older line');
  m.push('b', { lines: [line(1, 3, 'b1')] });
  assert.deepEqual(texts(m), ['a:a1', 'b:b1'], 'a2 waits: b has more history to come');
  m.push('b', { lines: [line(2, 4, 'b2')], historyDone: true });
  assert.deepEqual(texts(m), ['b:b2', 'a:a2']);
  m.push('a', { lines: [], historyDone: true });
  assert.equal(m.finished, false);
});

test('equal timestamps keep the tasks\' order; each task keeps its seq order', () => {
  const m = new LogMerge();
  m.add('a');
  m.add('b');
  m.push('b', { lines: [line(1, 1, 'b1'), line(2, 1, 'b2')], historyDone: true });
  m.push('a', { lines: [line(1, 1, 'a1'), line(2, 0, 'a2-older-clock')], historyDone: true });
  // a2 carries an older timestamp than a1 but comes after it: per-task order wins.
  assert.deepEqual(texts(m), ['a:a1', 'a:a2-older-clock', 'b:b1', 'b:b2']);
});

test('live lines go out in arrival order, only after all history', () => {
  const m = new LogMerge();
  m.add('a');
  m.add('b');
  m.push('a', { lines: [line(1, 9, 'a-hist')], historyDone: true });
  m.push('a', { lines: [line(2, 10, 'a-live')] });
  assert.deepEqual(texts(m), [], 'b has not finished its history');
  m.push('b', { lines: [line(1, 1, 'b-hist')], historyDone: true });
  m.push('b', { lines: [line(2, 2, 'b-live')] });
  m.push('a', { lines: [line(3, 3, 'a-live2')] });
  assert.deepEqual(texts(m), ['b:b-hist', 'a:a-hist', 'a:a-live', 'b:b-live', 'a:a-live2']);
});

test('repeated seqs are dropped (a resumed stream), and lost lines are announced where they were', () => {
  const m = new LogMerge();
  m.add('a');
  m.push('a', { lines: [line(1, 1), line(2, 1)], historyDone: true });
  assert.equal(m.lastSeq('a'), 2);
  m.add('a'); // the node reconnected: the agent resumes after seq 2
  m.push('a', { lines: [line(2, 1), line(3, 1)], historyDone: true });
  m.push('a', { lines: [line(10, 2)], dropped: 6 });
  const out = m.take(1000);
  assert.deepEqual(out.map((l) => l.data), ['l1', 'l2', 'l3', droppedNotice(6), 'l10']);
  assert.equal(out[3]!.stream, 2);
  assert.equal(out[3]!.ts, ts(2), 'the notice carries the time of the next line');
  assert.equal(out[3]!.cost, 0, 'the manager\'s own lines are not acknowledged to the agent');
  assert.ok(out[0]!.cost > 0);
  assert.equal(droppedNotice(1), 'berth: 1 log line dropped (buffer full)\n');
});

test('a subscription is finished once every task ended and every line went out; take honours max', () => {
  const m = new LogMerge();
  assert.equal(m.finished, true);
  m.add('a');
  m.add('b');
  m.push('a', { lines: [line(1, 1), line(2, 2), line(3, 3)], end: true });
  assert.deepEqual(texts(m), [], 'b is still in its history');
  m.end('b'); // its node went away
  m.notice('b', 'berth: node gone\n');
  assert.equal(m.finished, false);
  assert.equal(m.take(2).length, 2);
  assert.deepEqual(texts(m), ['a:l3', 'b:berth: node gone\n']);
  assert.equal(m.finished, true);
  m.push('a', { lines: [line(4, 4)] });
  assert.deepEqual(texts(m), [], 'an ended task takes no more lines');
});

test('a task whose history is slow can be released: the others go on, its lines come as live', () => {
  const m = new LogMerge();
  m.add('a');
  m.add('slow');
  m.push('a', { lines: [line(1, 5, 'a1')], historyDone: true });
  assert.deepEqual(texts(m), []);
  m.release('slow');
  assert.deepEqual(texts(m), ['a:a1']);
  m.push('slow', { lines: [line(1, 1, 'late')], historyDone: true });
  assert.deepEqual(texts(m), ['slow:late']);
});
