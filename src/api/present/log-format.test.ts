import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StdcopyDecoder } from '../../common/stdcopy.js';
import type { LogLineEvent } from '../../types/index.js';
import { details, encodeEvent, queryEscape } from './log-format.js';

const line: LogLineEvent = {
  kind: 'line',
  taskId: 'task1',
  serviceId: 'svc1',
  nodeId: 'node1',
  stream: 'stderr',
  timestamp: '2024-05-01T10:20:30.000000001Z',
  data: 'hello world\n',
};

test('queryEscape escapes as Go\'s url.QueryEscape', () => {
  assert.equal(queryEscape('abc-_.~XYZ019'), 'abc-_.~XYZ019');
  assert.equal(queryEscape('a b'), 'a+b');
  assert.equal(queryEscape("a=b,c&d/e!'()*"), 'a%3Db%2Cc%26d%2Fe%21%27%28%29%2A');
  assert.equal(queryEscape('é'), '%C3%A9');
});

test('details name the node, service and task, sorted by key, as the docker CLI parses them', () => {
  assert.equal(details(line), 'com.docker.swarm.node.id=node1,com.docker.swarm.service.id=svc1,com.docker.swarm.task.id=task1');
  assert.match(details({ ...line, nodeId: 'n,1' }), /node\.id=n%2C1,/);
});

test('a line is "[<timestamp> ][<details> ]<text>" in a frame of its stream', () => {
  const decode = (b: Buffer): [number, string][] => new StdcopyDecoder().push(b).map((f) => [f.stream, f.payload.toString()]);
  assert.deepEqual(decode(encodeEvent(line, { timestamps: false, details: false, mux: true })), [[2, 'hello world\n']]);
  assert.deepEqual(decode(encodeEvent({ ...line, stream: 'stdout' }, { timestamps: true, details: true, mux: true })), [
    [1, `2024-05-01T10:20:30.000000001Z ${details(line)} hello world\n`],
  ]);
  // The CLI splits a line on its first spaces: timestamp, details, then the text untouched.
  const text = `${details(line)} a  b \n`;
  assert.deepEqual(decode(encodeEvent({ ...line, data: 'a  b \n' }, { timestamps: false, details: true, mux: true })), [[2, text]]);
});

test('a TTY service gets raw text; an error is the daemon\'s last frame, or plain text', () => {
  assert.equal(encodeEvent(line, { timestamps: true, details: false, mux: false }).toString(), '2024-05-01T10:20:30.000000001Z hello world\n');
  const err = encodeEvent({ kind: 'error', message: 'warning: incomplete log stream' }, { timestamps: true, details: true, mux: true });
  assert.deepEqual(
    new StdcopyDecoder().push(err).map((f) => [f.stream, f.payload.toString()]),
    [[3, 'Error grabbing logs: warning: incomplete log stream\n']],
  );
  assert.equal(encodeEvent({ kind: 'error', message: 'x' }, { timestamps: false, details: false, mux: false }).toString(), 'Error grabbing logs: x\n');
});
