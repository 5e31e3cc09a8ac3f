import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StdcopyDecoder, frame } from './stdcopy.js';

test('frame writes the 8-byte header: stream, three zero bytes, big-endian length', () => {
  const f = frame(2, 'héllo\n');
  assert.deepEqual([...f.subarray(0, 8)], [2, 0, 0, 0, 0, 0, 0, 7]);
  assert.equal(f.subarray(8).toString(), 'héllo\n');
  assert.deepEqual([...frame(1, '').subarray(0, 8)], [1, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal(frame(3, Buffer.alloc(70_000)).readUInt32BE(4), 70_000);
});

test('the decoder returns the same frames however the stream is cut', () => {
  const frames = [frame(1, 'one\n'), frame(2, 'two\n'), frame(1, ''), frame(1, 'x'.repeat(300))];
  const stream = Buffer.concat(frames);
  for (let size = 1; size <= stream.length; size += 7) {
    const d = new StdcopyDecoder();
    const got: string[] = [];
    for (let at = 0; at < stream.length; at += size) {
      for (const f of d.push(stream.subarray(at, at + size))) got.push(`${f.stream}:${f.payload.toString()}`);
    }
    assert.deepEqual(got, ['1:one\n', '2:two\n', '1:', `1:${'x'.repeat(300)}`], `chunks of ${size}`);
    assert.equal(d.buffered, 0);
  }
});

test('the decoder holds an incomplete frame and refuses what is not a multiplexed stream', () => {
  const d = new StdcopyDecoder();
  assert.deepEqual(d.push(frame(1, 'abc').subarray(0, 10)), []);
  assert.equal(d.buffered, 10);
  assert.throws(() => new StdcopyDecoder().push(Buffer.from('2024-01-01T00:00:00Z hello\n')), /not a multiplexed stream/);
  const big = Buffer.alloc(8);
  big[0] = 1;
  big.writeUInt32BE(2 ** 30, 4);
  assert.throws(() => new StdcopyDecoder(1024).push(big), /exceeds/);
});
