// An exec over a WebSocket (GET /berth/v1/exec/{id}/start, docs/containers.md), as the portal's
// console opens it: a real manager with TLS (served in plain HTTP to loopback, sessions only) and
// a real agent on the shared Podman engine. The session comes as a subprotocol; output, resize,
// stdin's end and the exit code come through; a page of another origin, a bad or missing token,
// a viewer and a plain GET are refused; the start is in the audit log; a follower forwards it.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { Agent } from '../../src/agent/session/session.js';
import { silentLogger } from '../../src/common/log.js';
import { Manager } from '../../src/manager/index.js';
import { forwardToLeader } from '../../src/manager/forward.js';
import { engineServer } from '../../src/api/server.js';
import { routeUpgrades } from '../../src/api/index.js';
import { TEST_IMAGE, removeNodeContainers, testEngine, type TestEngine } from '../helpers/engine.js';
import { tempDir } from '../helpers/berth.js';
import { until } from '../helpers/wait.js';

const ADMIN_PASSWORD = 'Exec-ws-admin1';
/** Waits for the terminal to have a size (the client resizes just after opening), then prints it. */
const SIZE = 'for i in 1 2 3 4 5 6 7 8 9 10; do s=$(stty size 2>/dev/null); [ -n "$s" ] && [ "$s" != "0 0" ] && break; sleep 0.3; done; echo size=$s';

interface Session {
  output: string;
  controls: Array<Record<string, unknown>>;
  protocol: string;
  close: { code: number; reason: string };
}

describe('exec over a WebSocket', { timeout: 180_000 }, () => {
  let engine: TestEngine;
  let manager: Manager;
  let agent: Agent;
  let base = '';
  let container = '';
  let adminToken = '';
  const stop = new AbortController();
  let ran: Promise<unknown> | undefined;
  const dir = tempDir('exec-ws');

  const call = async (method: string, path: string, body?: unknown, token = adminToken): Promise<{ status: number; json: Record<string, unknown> }> => {
    const res = await fetch(base + path, { method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) }, ...(body !== undefined && { body: JSON.stringify(body) }) });
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
  const login = async (user: string, password: string): Promise<string> => {
    const res = await fetch(`${base}/berth/v1/login`, { method: 'POST', body: JSON.stringify({ Username: user, Password: password }) });
    assert.equal(res.status, 200);
    return ((await res.json()) as { Token: string }).Token;
  };
  const newExec = async (config: Record<string, unknown>): Promise<string> => {
    const r = await call('POST', `/containers/${container}/exec`, { AttachStdout: true, AttachStderr: true, ...config });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    return r.json.Id as string;
  };

  /** open connects as a browser page of `origin` would, sends `send` once open, and gathers everything until the close. */
  const open = (url: string, protocols: string[], origin: string, send: (ws: WebSocket) => void = () => undefined): Promise<Session> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(url, protocols, { origin });
      const session: Session = { output: '', controls: [], protocol: '', close: { code: 0, reason: '' } };
      ws.on('open', () => {
        session.protocol = ws.protocol;
        send(ws);
      });
      ws.on('message', (data: Buffer, binary: boolean) => {
        if (binary) session.output += data.toString('latin1');
        else session.controls.push(JSON.parse(data.toString()) as Record<string, unknown>);
      });
      ws.on('close', (code, reason) => resolve({ ...session, close: { code, reason: reason.toString() } }));
      ws.on('unexpected-response', (_req, res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => reject(Object.assign(new Error(`refused: ${res.statusCode} ${text}`), { status: res.statusCode, message: text })));
      });
      ws.on('error', reject);
    });
  const refusal = async (url: string, protocols: string[], origin: string): Promise<{ status: number; message: string }> => {
    const err = (await open(url, protocols, origin).then(
      () => assert.fail('the WebSocket opened'),
      (e: unknown) => e,
    )) as { status: number; message: string };
    return { status: err.status, message: (JSON.parse(err.message) as { message: string }).message };
  };
  const wsUrl = (id: string, at = base) => `${at.replace(/^http/, 'ws')}/berth/v1/exec/${id}/start`;

  before(async () => {
    engine = await testEngine();
    manager = await Manager.start({ dataDir: join(dir, 'manager'), listen: '127.0.0.1:0', clusterListen: '127.0.0.1:0', log: silentLogger(), version: 'test', adminPassword: ADMIN_PASSWORD });
    // The TLS port serves plain HTTP to loopback, as the portal uses it (http://127.0.0.1:PORT/ui/).
    base = manager.url.replace(/^https:/, 'http:');
    adminToken = await login('admin', ADMIN_PASSWORD);
    agent = new Agent({
      manager: manager.clusterLocalAddr,
      joinToken: manager.workerToken,
      stateDir: join(dir, 'agent'),
      docker: engine.docker,
      engineUrl: engine.url,
      description: { Hostname: 'ws-node' },
      log: silentLogger(),
      filesRoot: join(dir, 'files'),
      registryCertsDir: join(dir, 'certs.d'),
      tunnelInterface: `bwx${process.pid % 100000}`,
    });
    ran = agent.run(stop.signal);
    const created = await call('POST', '/services/create', { Name: 'console', TaskTemplate: { ContainerSpec: { Image: TEST_IMAGE, Command: ['sleep', '600'] } }, Mode: { Replicated: { Replicas: 1 } } });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    container = await until(async () => {
      const list = (await call('GET', '/containers/json')).json as unknown as Array<{ Id: string; State: string }>;
      return list.find((c) => c.State === 'running')?.Id;
    }, 60_000, 'the task container running');
  });

  let stopped = false;
  after(async () => {
    stop.abort();
    await ran;
    if (!stopped) await manager?.stop();
    if (agent?.nodeId) await removeNodeContainers(engine.docker, agent.nodeId);
  });

  test('a TTY exec: the session as a subprotocol, resize, keystrokes in, output and the exit code out, then a clean close', async () => {
    const id = await newExec({ AttachStdin: true, Tty: true, Cmd: ['sh', '-c', `${SIZE}; read line; echo got-$line; exit 3`] });
    const session = await open(wsUrl(id), ['berth.exec', `berth.bearer.${adminToken}`], base, (ws) => {
      ws.send(JSON.stringify({ type: 'resize', h: 30, w: 100 }));
      ws.send(Buffer.from('abc\r'), { binary: true });
    });
    // Only the plain subprotocol is echoed, never the token.
    assert.equal(session.protocol, 'berth.exec');
    assert.match(session.output, /size=30 100/);
    assert.match(session.output, /got-abc/);
    assert.deepEqual(session.controls, [{ type: 'exit', ExitCode: 3 }]);
    assert.deepEqual(session.close, { code: 1000, reason: 'exec ended' });
    const audit = (await call('GET', `/berth/v1/audit?action=exec.start`)).json as unknown as Array<{ Path: string; Status: number; User: string; Command: string[]; Object: { Kind: string; ID: string } }>;
    const entry = audit.find((e) => e.Path === `/berth/v1/exec/${id}/start`);
    assert.ok(entry, 'the WebSocket start is an exec.start entry');
    assert.deepEqual({ status: entry.Status, user: entry.User, kind: entry.Object.Kind, id: entry.Object.ID, cmd: entry.Command[0] }, { status: 101, user: 'admin', kind: 'container', id: container, cmd: 'sh' });
  });

  test('without a TTY: stdin ends with an eof message, the output comes multiplexed', async () => {
    const id = await newExec({ AttachStdin: true, Cmd: ['wc', '-c'] });
    const session = await open(wsUrl(id), ['berth.exec', `berth.bearer.${adminToken}`], base, (ws) => {
      ws.send(Buffer.from('hello'), { binary: true });
      ws.send(JSON.stringify({ type: 'eof' }));
    });
    // One stdout frame: stream 1, then the length, then the text.
    assert.equal(session.output.charCodeAt(0), 1);
    assert.equal(session.output.slice(8).trim(), '5');
    assert.deepEqual(session.controls, [{ type: 'exit', ExitCode: 0 }]);
  });

  test('an unknown control message closes the socket naming the ones there are', async () => {
    const id = await newExec({ AttachStdin: true, Tty: true, Cmd: ['sh'] });
    const session = await open(wsUrl(id), ['berth.exec', `berth.bearer.${adminToken}`], base, (ws) => ws.send('{"type":"shout"}'));
    assert.equal(session.close.code, 1008);
    assert.match(session.close.reason, /"type":"resize"/);
  });

  test('refused: a page of another origin, a bad or missing token, a viewer, a plain GET, an exec that does not exist', async () => {
    const id = await newExec({ Cmd: ['true'] });
    const evil = await refusal(wsUrl(id), ['berth.exec', `berth.bearer.${adminToken}`], 'http://evil.example');
    assert.equal(evil.status, 403);
    assert.match(evil.message, /a WebSocket from a page of http:\/\/evil\.example is refused/);
    assert.equal((await refusal(wsUrl(id), ['berth.exec', 'berth.bearer.berth_0123456789abcdefghijklmno_' + '0'.repeat(64)], base)).status, 401);
    assert.equal((await refusal(wsUrl(id), ['berth.exec'], base)).status, 401);
    assert.equal((await call('POST', '/berth/v1/users', { Name: 'watcher', Password: 'Watcher-pass1', Role: 'viewer' })).status, 201);
    const viewer = await refusal(wsUrl(id), ['berth.exec', `berth.bearer.${await login('watcher', 'Watcher-pass1')}`], base);
    assert.equal(viewer.status, 403);
    assert.match(viewer.message, /^access denied: GET \/berth\/v1\/exec\/:id\/start takes the operator role/);
    const plain = await call('GET', `/berth/v1/exec/${id}/start`);
    assert.equal(plain.status, 400);
    assert.match(plain.json.message as string, /is a WebSocket: open it with Upgrade: websocket and the subprotocol berth\.exec/);
    assert.deepEqual(await refusal(wsUrl('0123456789abcdef'), ['berth.exec', `berth.bearer.${adminToken}`], base), { status: 404, message: 'No such exec instance: 0123456789abcdef' });
    // The exec refused above was never started: it still runs once, for whoever may.
    const session = await open(wsUrl(id), ['berth.exec', `berth.bearer.${adminToken}`], base);
    assert.deepEqual(session.controls, [{ type: 'exit', ExitCode: 0 }]);
  });

  test('through a follower, which checks the origin and forwards the WebSocket to the leader', async () => {
    // A follower's forwarding, as manager.ts sets it up, with a certificate the leader takes (the admin's bundle here).
    const client = join(dir, 'manager', 'client');
    const follower = engineServer({ version: 'test' });
    routeUpgrades(follower.server, (req, res) => follower.server.emit('request', req, res));
    const tls = { key: readFileSync(join(client, 'key.pem'), 'utf8'), cert: readFileSync(join(client, 'cert.pem'), 'utf8'), ca: readFileSync(join(client, 'ca.pem'), 'utf8') };
    forwardToLeader(follower, { leader: () => manager.url, tls: () => tls, plain: false, caughtUp: async () => undefined, log: silentLogger() });
    await follower.listen({ host: '127.0.0.1', port: 0 });
    const via = `http://127.0.0.1:${(follower.server.address() as { port: number }).port}`;
    try {
      const id = await newExec({ AttachStdin: true, Tty: true, Cmd: ['sh', '-c', 'read line; echo via-$line; exit 7'] });
      assert.equal((await refusal(wsUrl(id, via), ['berth.exec'], 'http://evil.example')).status, 403);
      const session = await open(wsUrl(id, via), ['berth.exec'], via, (ws) => ws.send(Buffer.from('follower\r'), { binary: true }));
      assert.equal(session.protocol, 'berth.exec');
      assert.match(session.output, /via-follower/);
      assert.deepEqual(session.controls, [{ type: 'exit', ExitCode: 7 }]);
    } finally {
      await follower.close();
    }
  });

  // Last: it stops the manager.
  test('a console still open when the manager stops is closed at once, and does not hold the manager up', async () => {
    const id = await newExec({ AttachStdin: true, Tty: true, Cmd: ['sh'] });
    const session = open(wsUrl(id), ['berth.exec', `berth.bearer.${adminToken}`], base);
    await until(() => agent.containerStreams === 1, 10_000, 'the console open');
    stopped = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([manager.stop(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('the manager did not stop within 5 s')), 5000)))]);
    clearTimeout(timer);
    assert.equal((await session).close.code, 1011);
  });
});
