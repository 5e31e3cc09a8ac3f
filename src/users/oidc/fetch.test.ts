import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidArgumentError } from '../../types/index.js';
import { checkIssuer, guardedFetch } from './fetch.js';

test('issuers: https, or http on loopback; never a link-local or metadata address, credentials or a query', async () => {
  assert.equal(await checkIssuer('http://127.0.0.1:8080/realms/x/'), 'http://127.0.0.1:8080/realms/x');
  assert.equal(await checkIssuer('https://[fd00::1]/'), 'https://[fd00::1]');
  for (const bad of ['http://10.0.0.1', 'https://169.254.169.254/', 'https://[fd00:ec2::254]/', 'https://100.100.100.200', 'https://a@b.example', 'https://b.example/?x=1', 'ftp://b.example', 'not a url', 42]) {
    await assert.rejects(checkIssuer(bad), InvalidArgumentError, String(bad));
  }
});

test("a remote provider's discovery cannot send the manager to loopback or the metadata service; a local one reaches loopback", async () => {
  const server = createServer((_req, res) => res.end('{"ok":true}'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const local = `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`;
  try {
    const remote = guardedFetch('https://login.example.com');
    await assert.rejects(remote(local, {}), /loopback/);
    await assert.rejects(remote('https://169.254.169.254/latest/meta-data', {}), /link-local/);
    await assert.rejects(remote('http://login.example.com/token', {}), /https only/);
    const answer = await guardedFetch('http://127.0.0.1:1')(local, { method: 'GET' });
    assert.deepEqual(await answer.json(), { ok: true });
  } finally {
    server.close();
  }
});
