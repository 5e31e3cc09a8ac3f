import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { test } from 'node:test';
import Fastify from 'fastify';
import { closeGracefully } from './http-close.js';

// A response that finishes after closing starts leaves a keep-alive connection Node's own close
// would wait on for the whole keep-alive timeout (60 s here, beyond the test's 20 s limit).
test('closeGracefully: a response finishing during the close does not hold it up for the keep-alive timeout', { timeout: 20_000 }, async () => {
  const app = Fastify({ keepAliveTimeout: 60_000 });
  let started!: () => void;
  const inFlight = new Promise<void>((resolve) => (started = resolve));
  app.get('/slow', async () => {
    started();
    await new Promise((resolve) => setTimeout(resolve, 300));
    return { done: true };
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  const agent = new Agent({ keepAlive: true });
  const body = new Promise<string>((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/slow', agent }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve(text));
    })
      .on('error', reject)
      .end();
  });
  await inFlight;
  await closeGracefully(app);
  // The request in flight was still answered in full.
  assert.deepEqual(JSON.parse(await body), { done: true });
  agent.destroy();
});
