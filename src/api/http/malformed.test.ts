import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { testApi } from '../test-helpers.js';

/** send writes raw bytes to the API's port and reads until the server closes. */
async function send(port: number, raw: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(raw));
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString()));
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
  });
}

test("a request node's parser refuses is answered in Docker's error shape, then closed", async () => {
  const api = await testApi();
  try {
    await api.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (api.app.server.address() as { port: number }).port;
    const bad = await send(port, 'BREW /_ping HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.match(bad, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.match(bad, /\r\nContent-Type: application\/json\r\n/);
    assert.match(bad, /\r\n\r\n\{"message":"malformed HTTP request \(HPE_INVALID_METHOD\): check the method, headers and body framing"\}$/);
    const huge = await send(port, `GET /_ping HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`);
    assert.match(huge, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n[\s\S]*"message":"malformed HTTP request \(HPE_HEADER_OVERFLOW\)/);
  } finally {
    await api.close();
  }
});
