// Large bodies against the real API server on a loopback port: each route's limit is enforced
// before a body is buffered whole (Swarm's words for secret and config data), the largest bodies
// Swarm would take still go through, and large bodies are parsed one per turn of the event loop,
// so that /_ping is answered between them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { SPEC_BODY_LIMIT } from './http.js';
import { testApi, type TestApi } from '../test-helpers.js';

const MiB = 1024 * 1024;

async function listening(): Promise<{ api: TestApi; port: number }> {
  const api = await testApi();
  await api.app.listen({ host: '127.0.0.1', port: 0 });
  return { api, port: (api.app.server.address() as { port: number }).port };
}

interface Sent {
  status: number;
  message: string;
  /** Body bytes the client had handed over when the answer arrived, of `size`. */
  sentBeforeReply: number;
  size: number;
}

interface Body {
  /** The JSON text is head, then fill repeated, then tail: about `size` bytes in all. */
  head: string;
  fill: string;
  tail: string;
  size: number;
  /** Sent with a Content-Length; chunked otherwise. */
  declared: boolean;
}

/**
 * send streams a body a 64 KiB piece per turn of the event loop (so that the server, in this
 * process too, reads it as it arrives) and stops sending once the answer is in.
 */
async function send(port: number, path: string, b: Body): Promise<Sent> {
  const perPiece = Math.floor((64 * 1024) / b.fill.length);
  let fills = Math.floor((b.size - b.head.length - b.tail.length) / b.fill.length);
  const size = b.head.length + fills * b.fill.length + b.tail.length;
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(b.declared && { 'content-length': String(size) }) };
  const req = request({ host: '127.0.0.1', port, method: 'POST', path, headers });
  let written = 0;
  let answered = false;
  const answer = new Promise<Sent>((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (res) => {
      answered = true;
      const sentBeforeReply = written;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, message: (JSON.parse(Buffer.concat(chunks).toString()) as { message: string }).message, sentBeforeReply, size });
      });
    });
  });
  const pieces = (function* () {
    yield b.head;
    for (; fills > 0; fills -= perPiece) yield b.fill.repeat(Math.min(perPiece, fills));
    yield b.tail;
  })();
  for (const piece of pieces) {
    if (answered) break;
    written += piece.length;
    req.write(piece);
    for (let i = 0; i < 2; i++) await new Promise((resolve) => setImmediate(resolve));
  }
  if (!answered) req.end();
  return answer;
}

const swarmData = (kind: string, max: number): RegExp => new RegExp(`^${kind} data must be larger than 0 and less than ${max} bytes: the request body is over [0-9]+ [KM]iB`);

test('secret and config data of 2 to 5 MiB: Swarm\'s 400, answered before the body is read', async () => {
  const { api, port } = await listening();
  try {
    for (const [kind, max, limit] of [['secret', 512000, '768 KiB'], ['config', 1024000, '1536 KiB']] as const) {
      for (const size of [2 * MiB, 3.5 * MiB, 5 * MiB]) {
        for (const declared of [true, false]) {
          const r = await send(port, `/v1.41/${kind}s/create`, { head: '{"Name":"big","Data":"', fill: 'QUFB', tail: '"}', size, declared });
          const what = `${kind} ${size} bytes, ${declared ? 'Content-Length' : 'chunked'}: ${r.status} ${r.message}`;
          assert.equal(r.status, 400, what);
          assert.match(r.message, swarmData(kind, max), what);
          assert.ok(r.message.includes(limit), what);
          assert.ok(r.sentBeforeReply < r.size, `${what}: answered only after the whole body was sent`);
        }
      }
    }
    assert.equal(api.store.view((tx) => tx.secrets.count() + tx.configs.count()), 0);
  } finally {
    await api.close();
  }
});

test('a spec body over 1 MiB is a 413 naming the limit, before the body is read', async () => {
  const { api, port } = await listening();
  try {
    const routes = ['/v1.41/services/create', '/v1.41/nodes/x/update?version=1', '/v1.41/swarm/update?version=1', '/v1.41/networks/create', '/berth/v1/registry-credentials'];
    for (const path of routes) {
      for (const declared of [true, false]) {
        const r = await send(port, path, { head: '{"Labels":{"a":"', fill: 'x', tail: '"}}', size: 10 * MiB - 100, declared });
        const route = path.replace(/^\/v1\.41/, '').replace(/\?.*/, '');
        assert.equal(r.status, 413, `${path}: ${r.message}`);
        assert.equal(r.message, `request body is too large: POST ${route.replace('/x/', '/:id/')} takes at most 1 MiB`);
        assert.ok(r.sentBeforeReply < r.size, `${path}: answered only after the whole body was sent`);
      }
    }
  } finally {
    await api.close();
  }
});

test('eight concurrent 10 MiB bodies are each refused with a 4xx before they are read', async () => {
  const { api, port } = await listening();
  try {
    // The costliest JSON to parse: 10 MiB of empty objects, 3.5 million of them.
    const bodies = Array.from({ length: 8 }, (_, i) =>
      i % 2 === 0
        ? send(port, '/v1.41/services/create', { head: '{"TaskTemplate":{"PluginSpec":{"a":[', fill: '{},', tail: '{}]}}}', size: 10 * MiB - 100, declared: true })
        : send(port, '/v1.41/secrets/create', { head: '{"Name":"x","Labels":{"a":[', fill: '{},', tail: '{}]}}', size: 10 * MiB - 100, declared: false }),
    );
    for (const r of await Promise.all(bodies)) {
      assert.ok(r.status === 413 || r.status === 400, `${r.status} ${r.message}`);
      assert.ok(r.sentBeforeReply < r.size, `answered only after the whole body was sent: ${r.message}`);
    }
  } finally {
    await api.close();
  }
});

test('the largest secret and config Swarm takes fit their limits, with line-broken base64 and labels', async () => {
  const { api, port } = await listening();
  try {
    for (const [kind, max] of [['secret', 512000], ['config', 1024000]] as const) {
      // Base64 as MIME tools write it, CRLF every 76 characters (Go's decoder skips them).
      const data = Buffer.alloc(max - 1, 7).toString('base64').replace(/.{76}/g, '$&\r\n');
      const labels = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`com.example.label-${i}`, 'v'.repeat(100)]));
      const body = JSON.stringify({ Name: `largest-${kind}`, Labels: labels, Data: data });
      const res = await fetch(`http://127.0.0.1:${port}/v1.41/${kind}s/create`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      assert.equal(res.status, 201, `${kind}: ${body.length} bytes: ${await res.text()}`);

      const over = JSON.stringify({ Name: `over-${kind}`, Data: Buffer.alloc(max, 7).toString('base64') });
      const refused = await fetch(`http://127.0.0.1:${port}/v1.41/${kind}s/create`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: over });
      assert.equal(refused.status, 400);
      assert.deepEqual(await refused.json(), { message: `${kind} data must be larger than 0 and less than ${max} bytes` });
    }
  } finally {
    await api.close();
  }
});

/** A raw HTTP/1.1 connection, so a test controls exactly when each byte is sent. */
async function rawConnection(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return socket;
}

/** readReply reads one response with a Content-Length body. */
function readReply(socket: Socket): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    let data = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      data = Buffer.concat([data, chunk]);
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = data.subarray(0, end).toString();
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      if (data.length < end + 4 + length) return;
      socket.off('data', onData);
      resolve({ status: Number(head.split(' ')[1]), body: data.subarray(end + 4, end + 4 + length).toString() });
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

const flushed = (socket: Socket, data: Buffer | string): Promise<void> => new Promise((resolve, reject) => socket.write(data, (err) => (err ? reject(err) : resolve())));

test('/_ping is answered while eight large bodies are parsed: they take turns with other requests', async () => {
  const { api, port } = await listening();
  const sockets: Socket[] = [];
  try {
    // Just under the limit, costly to parse (over 300,000 empty objects) and refused at the end.
    const head = '{"TaskTemplate":{"ContainerSpec":{"Image":"busybox"},"PluginSpec":{"a":[';
    const tail = '{}]}},"Mode":{"Replicated":{"Replicas":-1}}}';
    const body = Buffer.from(head + '{},'.repeat(Math.floor((SPEC_BODY_LIMIT - head.length - tail.length) / 3)) + tail);
    const large = await Promise.all(Array.from({ length: 8 }, () => rawConnection(port)));
    const ping = await rawConnection(port);
    sockets.push(...large, ping);
    const PING = 'GET /_ping HTTP/1.1\r\nHost: berth\r\n\r\n';
    const warm = readReply(ping);
    ping.write(PING);
    assert.equal((await warm).status, 200);

    // Every body but its last byte, and time for the server to read it: then all eight complete
    // in one turn of the event loop, as bodies arriving together do.
    const request = `POST /v1.41/services/create HTTP/1.1\r\nHost: berth\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    await Promise.all(large.map((s) => flushed(s, Buffer.concat([Buffer.from(request), body.subarray(0, -1)]))));
    await new Promise((resolve) => setTimeout(resolve, 300));

    const order: string[] = [];
    const replies = large.map((s, i) => readReply(s).then((r) => (order.push(`large ${i}`), r)));
    for (const s of large) s.write(body.subarray(-1));
    // The ping goes out once the first large body is answered: served in its turn, it is answered
    // before the last one; served after all of them, it is last.
    await Promise.race(replies);
    const pong = readReply(ping).then((r) => (order.push('ping'), r));
    ping.write(PING);

    assert.equal((await pong).status, 200);
    for (const r of await Promise.all(replies)) {
      assert.equal(r.status, 400, r.body);
      assert.match(r.body, /Mode\.Replicated\.Replicas must be at least 0/);
    }
    assert.ok(order.indexOf('ping') < order.length - 1, `the ping was answered after every large body: ${order.join(', ')}`);
  } finally {
    for (const s of sockets) s.destroy();
    await api.close();
  }
});
