import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { frame } from '../../common/stdcopy.js';
import { LOG_MAX_LINE_BYTES } from '../../types/index.js';
import { dockerFor } from '../engine/engine-client.js';
import { EngineLogParser, EngineTimeout, engineLogs } from './engine-logs.js';
import { isTemporary } from '../engine/engine-errors.js';

const feed = (p: EngineLogParser, data: Buffer, size: number): ReturnType<EngineLogParser['push']> => {
  const out = [];
  for (let at = 0; at < data.length; at += size) out.push(...p.push(data.subarray(at, at + size)));
  return [...out, ...p.end()];
};

test('a multiplexed log: the timestamp parsed off, the stream kept, records cut by the engine joined into lines', () => {
  const data = Buffer.concat([
    frame(1, '2024-05-01T10:20:30.123Z out 1\n'),
    frame(1, '2024-05-01T10:20:31Z 10'),
    frame(2, '2024-05-01T10:20:31Z err 1\n'),
    frame(1, '2024-05-01T10:20:32Z 4'),
    frame(1, '2024-05-01T10:20:32Z 3\n'),
    frame(2, '2024-05-01T10:20:33Z no newline yet'),
  ]);
  for (const size of [1, 5, 1000]) {
    assert.deepEqual(feed(new EngineLogParser(false), data, size), [
      { ts: '2024-05-01T10:20:30.123000000Z', stream: 1, data: 'out 1\n' },
      { ts: '2024-05-01T10:20:31.000000000Z', stream: 2, data: 'err 1\n' },
      { ts: '2024-05-01T10:20:31.000000000Z', stream: 1, data: '1043\n' },
      { ts: '2024-05-01T10:20:33.000000000Z', stream: 2, data: 'no newline yet' },
    ]);
  }
  // Until the log is final, the open line is held: a later read counts it once, whole.
  assert.equal(new EngineLogParser(false).push(data).length, 3);
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

test('overlong lines come out in pieces of the limit, keeping every byte', () => {
  const p = new EngineLogParser(false);
  const long = 'y'.repeat(2 * LOG_MAX_LINE_BYTES + 100) + '\n';
  const pieces = p.push(Buffer.concat([frame(1, `2024-05-01T10:20:30Z ${long.slice(0, 1000)}`), frame(1, `2024-05-01T10:20:31Z ${long.slice(1000)}`)]));
  assert.deepEqual(pieces.map((l) => l.data.length), [LOG_MAX_LINE_BYTES, LOG_MAX_LINE_BYTES, 101]);
  assert.equal(pieces.map((l) => l.data).join(''), long);
  assert.ok(pieces.every((l) => l.ts === '2024-05-01T10:20:30.000000000Z'));
  // A TTY line is cut the same way however the stream arrives.
  const ttyLong = Buffer.from(`2024-05-01T10:20:30Z ${'z'.repeat(LOG_MAX_LINE_BYTES + 10)}\r\n2024-05-01T10:20:31Z next\n`);
  for (const size of [7, 4096, ttyLong.length]) {
    const got = feed(new EngineLogParser(true), ttyLong, size);
    assert.deepEqual(got.map((l) => [l.ts.slice(17, 19), l.data.length]), [['30', LOG_MAX_LINE_BYTES], ['30', 12], ['31', 5]], `chunks of ${size}`);
  }
});

test('a read that does not follow fails, as a temporary error, when the engine goes silent', async (t) => {
  // Stands in for an engine that answers, sends a line, then hangs.
  const server = createServer((req, res) => {
    assert.match(req.url ?? '', /^\/containers\/c1\/logs\?follow=false&stdout=true&stderr=true&timestamps=true$/);
    res.writeHead(200, { 'content-type': 'application/vnd.docker.raw-stream' });
    res.write(frame(1, '2024-05-01T10:20:30Z one\n'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    server.closeAllConnections();
    return new Promise((r) => server.close(r));
  });
  const docker = dockerFor(`tcp://127.0.0.1:${(server.address() as { port: number }).port}`);
  const got: string[] = [];
  const read = async (): Promise<void> => {
    for await (const batch of engineLogs(docker, 'c1', { tty: false, follow: false, final: false, signal: new AbortController().signal, idleMs: 200 })) {
      got.push(...batch.map((l) => l.data));
      await new Promise((r) => setTimeout(r, 400)); // the caller's own time does not count
    }
  };
  const err = await read().then(() => undefined, (e: unknown) => e);
  assert.deepEqual(got, ['one\n']);
  assert.ok(err instanceof EngineTimeout, String(err));
  assert.ok(isTemporary(err), 'retried like a dropped connection');
});
