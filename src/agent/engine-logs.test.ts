import { test } from 'node:test';
import assert from 'node:assert/strict';
import { frame } from '../common/stdcopy.js';
import { LOG_MAX_LINE_BYTES } from '../types/index.js';
import { EngineLogParser } from './engine-logs.js';

const feed = (p: EngineLogParser, data: Buffer, size: number): ReturnType<EngineLogParser['push']> => {
  const out = [];
  for (let at = 0; at < data.length; at += size) out.push(...p.push(data.subarray(at, at + size)));
  return [...out, ...p.end()];
};

test('a multiplexed log: a line per frame, the timestamp parsed off, the stream kept', () => {
  const data = Buffer.concat([
    frame(1, '2024-05-01T10:20:30.123Z out 1\n'),
    frame(2, '2024-05-01T10:20:31Z err 1\n'),
    frame(1, '2024-05-01T10:20:31Z partial'),
    frame(1, '2024-05-01T10:20:32Z \n'),
  ]);
  for (const size of [1, 5, 1000]) {
    assert.deepEqual(feed(new EngineLogParser(false), data, size), [
      { ts: '2024-05-01T10:20:30.123000000Z', stream: 1, data: 'out 1\n' },
      { ts: '2024-05-01T10:20:31.000000000Z', stream: 2, data: 'err 1\n' },
      { ts: '2024-05-01T10:20:31.000000000Z', stream: 1, data: 'partial' },
      { ts: '2024-05-01T10:20:32.000000000Z', stream: 1, data: '\n' },
    ]);
  }
});

test('a TTY log: raw lines, all on stdout; a last line without newline comes out at the end', () => {
  const data = Buffer.from('2024-05-01T10:20:30Z tty 1\r\n2024-05-01T10:20:30Z tty 2\r\n2024-05-01T10:20:31Z prompt> ');
  for (const size of [1, 3, 1000]) {
    assert.deepEqual(feed(new EngineLogParser(true), data, size), [
      { ts: '2024-05-01T10:20:30.000000000Z', stream: 1, data: 'tty 1\r\n' },
      { ts: '2024-05-01T10:20:30.000000000Z', stream: 1, data: 'tty 2\r\n' },
      { ts: '2024-05-01T10:20:31.000000000Z', stream: 1, data: 'prompt> ' },
    ]);
  }
});

test('overlong lines are cut at the limit (and ended), keeping their number', () => {
  const p = new EngineLogParser(false);
  const [l] = p.push(frame(1, `2024-05-01T10:20:30Z ${'y'.repeat(LOG_MAX_LINE_BYTES + 100)}\n`));
  assert.equal(l!.data.length, LOG_MAX_LINE_BYTES + 1);
  assert.ok(l!.data.endsWith('y\n'));
  const tty = new EngineLogParser(true);
  const lines = tty.push(Buffer.from(`2024-05-01T10:20:30Z ${'z'.repeat(LOG_MAX_LINE_BYTES + 10)}`));
  assert.equal(lines.length, 1, 'a TTY line beyond the limit is not held forever');
});
