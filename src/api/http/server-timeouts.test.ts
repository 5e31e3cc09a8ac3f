// The API server's timeouts: a client that dribbles its request is cut off, while the streams
// the API keeps open on purpose (long answers such as log follows, the dispatcher's WebSocket
// on the same server) outlive them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket, WebSocketServer } from 'ws';
import { SERVER_TIMEOUTS } from './http.js';
import { testApi } from '../test-helpers.js';

test('the API server bounds how long a request may take to arrive', async () => {
  const api = await testApi();
  assert.equal(api.app.server.headersTimeout, SERVER_TIMEOUTS.headersTimeout);
  assert.equal(api.app.server.requestTimeout, SERVER_TIMEOUTS.requestTimeout);
  assert.ok(SERVER_TIMEOUTS.requestTimeout > 0 && SERVER_TIMEOUTS.headersTimeout > 0);
  void api.close();
});

/** dribble sends `head`, then one more byte every 50 ms until the server answers and closes. */
async function dribble(port: number, head: string, byte: string): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  let answer = '';
  let closed = false;
  socket.on('data', (d: Buffer) => (answer += d.toString()));
  socket.on('close', () => (closed = true));
  socket.on('error', () => {});
  socket.write(head);
  for (let i = 0; i < 100 && !closed; i++) {
    await sleep(50);
    if (!closed) socket.write(byte);
  }
  socket.destroy();
  assert.ok(closed, `still open after 5 s of dribbling: ${head.split('\r\n')[0]}`);
  return answer;
}

test('a dribbled request is cut off with a 408; a long answer and a WebSocket outlive the timeouts', async () => {
  // Each tick of the long answer, and the whole of it, outlast the request timeout below.
  const longAnswer = (app: import('fastify').FastifyInstance): void => {
    app.get('/berth/test/follow', (_request, reply) =>
      reply.send(
        Readable.from(
          (async function* () {
            for (let i = 0; i < 6; i++) {
              await sleep(250);
              yield `line ${i}\n`;
            }
          })(),
        ),
      ),
    );
  };
  const api = await testApi({ plugins: [longAnswer] });
  // The same settings, shortened so the test takes seconds. Node reads the checking interval, an
  // option of createServer that @types/node does not list on the server, when listening starts.
  api.app.server.headersTimeout = 500;
  api.app.server.requestTimeout = 1000;
  (api.app.server as { connectionsCheckingInterval?: number }).connectionsCheckingInterval = 100;
  const wss = new WebSocketServer({ noServer: true });
  // As the dispatcher attaches to the manager's server (dispatcher.ts attach).
  api.app.server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => ws.on('message', (m) => ws.send(String(m)))));
  await api.app.listen({ host: '127.0.0.1', port: 0 });
  const port = (api.app.server.address() as { port: number }).port;
  try {
    const [body, headers, follow, echo] = await Promise.all([
      dribble(port, 'POST /v1.41/services/create HTTP/1.1\r\nHost: berth\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{', ' '),
      dribble(port, 'GET /_ping HTTP/1.1\r\nHost: berth\r\n', 'X'),
      fetch(`http://127.0.0.1:${port}/berth/test/follow`).then((r) => r.text()),
      (async () => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/dispatcher`);
        await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
        await sleep(1600);
        const reply = new Promise<string>((resolve) => ws.once('message', (m) => resolve(String(m))));
        ws.send('still here');
        const text = await reply;
        ws.close();
        return text;
      })(),
    ]);
    assert.match(body, /^HTTP\/1\.1 408 /);
    assert.match(headers, /^HTTP\/1\.1 408 /);
    assert.equal(follow, 'line 0\nline 1\nline 2\nline 3\nline 4\nline 5\n');
    assert.equal(echo, 'still here');
  } finally {
    wss.close();
    await api.close();
  }
});
