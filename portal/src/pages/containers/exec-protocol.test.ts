import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execConfig, execSocketUrl, isShell, readControl, resizeMessage, subprotocols } from './exec-protocol';

test('the socket is on the page\'s own origin, wss under https', () => {
  assert.equal(execSocketUrl({ protocol: 'http:', host: '127.0.0.1:7420' }, 'abc'), 'ws://127.0.0.1:7420/berth/v1/exec/abc/start');
  assert.equal(execSocketUrl({ protocol: 'https:', host: 'manager:7420' }, 'a/b'), 'wss://manager:7420/berth/v1/exec/a%2Fb/start');
});

test('the session goes as a subprotocol beside berth.exec, never alone', () => {
  assert.deepEqual(subprotocols('berth_x_y'), ['berth.exec', 'berth.bearer.berth_x_y']);
  assert.deepEqual(subprotocols(undefined), ['berth.exec']);
});

test('control messages: resize out; exit and error in; anything else is not one', () => {
  assert.deepEqual(JSON.parse(resizeMessage(24, 80)), { type: 'resize', h: 24, w: 80 });
  assert.deepEqual(readControl('{"type":"exit","ExitCode":3}'), { type: 'exit', ExitCode: 3 });
  assert.deepEqual(readControl('{"type":"exit","ExitCode":null}'), { type: 'exit', ExitCode: null });
  assert.deepEqual(readControl('{"type":"error","message":"resize: no"}'), { type: 'error', message: 'resize: no' });
  assert.equal(readControl('{"type":"other"}'), undefined);
  assert.equal(readControl('not json'), undefined);
});

test('the exec is a TTY of the terminal\'s size running the chosen shell', () => {
  assert.deepEqual(execConfig('bash', 30, 100), { AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: true, Cmd: ['bash'], Env: ['TERM=xterm-256color'], ConsoleSize: [30, 100] });
  assert.ok(isShell('sh') && isShell('bash') && !isShell('zsh') && !isShell(null));
});
