import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { TaskError, engineMessage, isTemporary } from './engine-errors.js';
import { ProgressError, followProgress } from './progress.js';

/** The shape dockerode gives an error the engine answered with. */
function answered(statusCode: number, message: string): Error {
  return Object.assign(new Error(`(HTTP code ${statusCode}) server error - ${message} `), { statusCode, json: { message } });
}

test('an unreachable engine is temporary', () => {
  assert.equal(isTemporary(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })), true);
  assert.equal(isTemporary(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })), true);
});

test('engine 5xx is temporary unless it names a permanent problem', () => {
  assert.equal(isTemporary(answered(500, 'database is locked')), true);
  assert.equal(isTemporary(answered(503, 'busy')), true);
  assert.equal(isTemporary(answered(500, 'normalizing image: invalid reference format')), false);
  assert.equal(isTemporary(answered(500, 'the container name "x" is already in use')), false);
});

test('a host port in use is fatal alike on Podman and Docker', () => {
  const inUse = [
    // Podman (this machine's engine), as its start endpoint answers.
    'cannot listen on the TCP port: listen tcp4 :18931: bind: address already in use',
    // Docker, from its port allocator and from its userland proxy.
    'driver failed programming external connectivity on endpoint web.1.x (0123abcd): Bind for 0.0.0.0:8080 failed: port is already allocated',
    'driver failed programming external connectivity on endpoint web.1.x (0123abcd): Error starting userland proxy: listen tcp4 0.0.0.0:8080: bind: address already in use',
  ];
  for (const message of inUse) assert.equal(isTemporary(answered(500, message)), false, message);
});

test('4xx, agent decisions, pull errors and bugs are fatal', () => {
  assert.equal(isTemporary(answered(404, 'no such image')), false);
  assert.equal(isTemporary(answered(400, 'bad parameter')), false);
  assert.equal(isTemporary(answered(429, 'slow down')), true);
  assert.equal(isTemporary(new TaskError('task: container not found')), false);
  assert.equal(isTemporary(new ProgressError('pull failed')), false);
  assert.equal(isTemporary(new TypeError('x is undefined')), false);
});

test('engineMessage gives the engine text without the HTTP prefix', () => {
  assert.equal(engineMessage(answered(404, 'no such image: x')), 'no such image: x');
  assert.equal(engineMessage(new Error('(HTTP code 500) server error - boom ')), 'boom');
  assert.equal(engineMessage(new TaskError('task: non-zero exit (3)')), 'task: non-zero exit (3)');
});

test('followProgress reads to the end and surfaces an error inside the stream', async () => {
  const ok = Readable.from(['{"status":"Pulling"}\n{"sta', 'tus":"Done"}\n']);
  assert.deepEqual(await followProgress(ok), [{ status: 'Pulling' }, { status: 'Done' }]);
  const bad = Readable.from(['{"status":"Pulling"}\n', '{"error":"x","errorDetail":{"message":"denied: no access"}}\n', '{"status":"more"}\n']);
  await assert.rejects(followProgress(bad), (err: Error) => err instanceof ProgressError && err.message === 'denied: no access');
});
