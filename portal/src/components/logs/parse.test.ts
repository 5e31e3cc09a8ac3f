import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameReader, parseLine } from './parse';

const frame = (stream: number, text: string) => {
  const body = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + body.length);
  out[0] = stream;
  new DataView(out.buffer).setUint32(4, body.length);
  out.set(body, 8);
  return out;
};

test('frames split anywhere give whole lines with their stream, time and task', () => {
  const r = new FrameReader(true);
  const bytes = new Uint8Array([
    ...frame(1, '2026-12-05T10:00:00.000000001Z com.docker.swarm.node.id=n1,com.docker.swarm.service.id=s1,com.docker.swarm.task.id=t1 hello\n'),
    ...frame(2, '2026-12-05T10:00:00.000000002Z com.docker.swarm.node.id=n2,com.docker.swarm.service.id=s1,com.docker.swarm.task.id=t2 oops\n'),
  ]);
  const lines = [...r.push(bytes.subarray(0, 5)), ...r.push(bytes.subarray(5, 130)), ...r.push(bytes.subarray(130))];
  assert.deepEqual(
    lines.map((l) => [l.stream, l.node, l.task, l.text, l.time]),
    [
      ['stdout', 'n1', 't1', 'hello', '2026-12-05T10:00:00.000000001Z'],
      ['stderr', 'n2', 't2', 'oops', '2026-12-05T10:00:00.000000002Z'],
    ],
  );
});

test('a TTY stream is raw text; a line without time or details keeps its text', () => {
  const r = new FrameReader(false);
  assert.deepEqual(r.push(new TextEncoder().encode('a b\npart')), [{ time: '', stream: 'stdout', node: '', service: '', task: '', text: 'a b' }]);
  assert.equal(r.push(new TextEncoder().encode('ial\n'))[0]!.text, 'partial');
  assert.equal(parseLine('com.docker.swarm.task.id=a%2Bb+c x', 'stdout').task, 'a+b c');
});
