// The outbound guard: which addresses are refused (IPv4-mapped forms and names included), what an
// administrator's allowance opens, the cluster's own listeners refused even inside an allowed
// range, and a pinned connection that goes only to the address that was checked.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import http from 'node:http';
import { networkInterfaces } from 'node:os';
import { InvalidArgumentError } from '../types/index.js';
import { OutboundGuard, OutboundRefusedError, parseRange } from './outbound.js';

const refusal = async (guard: OutboundGuard, url: string): Promise<string | undefined> => {
  try {
    await guard.pin(new URL(url));
    return undefined;
  } catch (err) {
    assert.ok(err instanceof OutboundRefusedError, `${url}: ${(err as Error).message}`);
    return err.message;
  }
};

test('loopback, link-local, metadata, unspecified and multicast targets are refused, in every spelling; private ranges are not', async () => {
  const guard = new OutboundGuard();
  const refused: Array<[string, RegExp]> = [
    ['http://127.0.0.1:7420/services', /^127\.0\.0\.1 is a loopback address; an administrator can allow it with --allow-outbound 127\.0\.0\.1\/32/],
    ['http://127.9.8.7/', /loopback/],
    ['http://2130706433/', /^127\.0\.0\.1 is a loopback/],
    ['http://0x7f.1/', /^127\.0\.0\.1 is a loopback/],
    ['http://[::1]:5000/', /^::1 is a loopback address; .*--allow-outbound ::1\/128/],
    ['http://[::ffff:127.0.0.1]/', /^::ffff:7f00:1 is a loopback address/],
    ['http://localhost:7420/', /^(127\.0\.0\.1|::1) is a loopback address/],
    ['http://169.254.169.254/latest/meta-data/', /^169\.254\.169\.254 is a link-local address/],
    ['http://[::ffff:169.254.169.254]/', /link-local/],
    ['http://[fe80::1]/', /^fe80::1 is a link-local address/],
    ['http://[fd00:ec2::254]/', /cloud metadata/],
    ['http://0.0.0.0:5000/', /^0\.0\.0\.0 is an unspecified address/],
    ['http://0/', /unspecified/],
    ['http://[::]/', /unspecified/],
    ['http://224.0.0.251/', /multicast/],
    ['http://[ff02::1]/', /multicast/],
  ];
  for (const [url, message] of refused) assert.match((await refusal(guard, url)) ?? 'allowed', message, url);
  for (const url of ['http://10.1.2.3:5000/', 'http://172.16.0.1/', 'http://192.168.1.10/', 'https://[fd12:3456::1]/', 'http://192.0.2.7/']) {
    assert.equal(await refusal(guard, url), undefined, url);
  }
});

test('--allow-outbound opens a range (its IPv4-mapped forms too) and nothing else; bad ranges are refused naming the flag', async () => {
  const guard = new OutboundGuard({ allow: ['127.0.0.0/8', 'fe80::1'] });
  assert.equal(await refusal(guard, 'http://127.0.0.1:9/'), undefined);
  assert.equal(await refusal(guard, 'http://localhost:9/'), undefined);
  assert.equal(await refusal(guard, 'http://[::ffff:127.0.0.2]/'), undefined);
  assert.equal(await refusal(guard, 'http://[fe80::1]/'), undefined);
  assert.match((await refusal(guard, 'http://[fe80::2]/'))!, /link-local/);
  assert.match((await refusal(guard, 'http://[::1]/'))!, /loopback/);
  assert.match((await refusal(guard, 'http://169.254.169.254/'))!, /link-local/);
  assert.deepEqual(parseRange('10.0.0.0/8'), ['10.0.0.0', 8]);
  assert.deepEqual(parseRange('::1'), ['::1', 128]);
  for (const bad of ['127.0.0.1/33', 'localhost', '10.0.0.0/8/1', '::1/129', '10.0.0.0/x', '']) {
    assert.throws(() => new OutboundGuard({ allow: [bad] }), (err: Error) => err instanceof InvalidArgumentError && err.message.startsWith(`invalid --allow-outbound "${bad}"`));
  }
});

test("the cluster's own listeners are refused even inside an allowed range: by address, by name, and behind a wildcard", async () => {
  const interfaceAddress = Object.values(networkInterfaces())
    .flat()
    .find((i) => i && !i.internal && i.family === 'IPv4')?.address;
  const guard = new OutboundGuard({
    allow: ['0.0.0.0/0', '::/0'],
    listeners: () => [
      { name: 'this registry', host: '127.0.0.1', port: 5000 },
      { name: 'the manager API', host: '0.0.0.0', port: 7420 },
      { name: 'a named listener', host: 'localhost', port: 6000 },
    ],
  });
  assert.match((await refusal(guard, 'http://127.0.0.1:5000/v2/'))!, /^127\.0\.0\.1:5000 is this registry, which outbound requests never reach$/);
  assert.match((await refusal(guard, 'http://localhost:5000/'))!, /this registry/);
  assert.match((await refusal(guard, 'http://[::ffff:127.0.0.1]:5000/'))!, /this registry/);
  assert.match((await refusal(guard, 'http://0.0.0.0:5000/'))!, /this registry/, 'the unspecified address reaches local listeners');
  assert.equal(await refusal(guard, 'http://127.0.0.1:5001/'), undefined, 'another port of an allowed range');
  assert.match((await refusal(guard, 'http://127.0.0.2:7420/swarm/unlock'))!, /^127\.0\.0\.2:7420 is the manager API/);
  assert.match((await refusal(guard, 'http://[::1]:7420/'))!, /the manager API/);
  assert.match((await refusal(guard, 'https://127.0.0.1:6000/'))!, /a named listener/);
  if (interfaceAddress) assert.match((await refusal(guard, `http://${interfaceAddress}:7420/`))!, /the manager API/, 'a wildcard listener answers on every local address');
  assert.equal(await refusal(guard, 'http://10.1.2.3:7420/'), undefined, 'another host on the same port');
});

test('check is for configuration: a refused target is a 400 naming the field and the address', async () => {
  const guard = new OutboundGuard();
  await assert.rejects(
    guard.check('http://localhost:7420/services/x/update', 'url'),
    (err: Error) => err instanceof InvalidArgumentError && /^url http:\/\/localhost:7420\/services\/x\/update is refused: .* is a loopback address; .*--allow-outbound/.test(err.message),
  );
  await guard.check('https://10.0.0.9:5000', 'URL');
});

test('a pinned request connects to the checked address, keeping the name in the Host header', async () => {
  const hosts: Array<string | undefined> = [];
  const server = createServer((req, res) => {
    hosts.push(req.headers.host);
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  try {
    const guard = new OutboundGuard({ allow: ['127.0.0.0/8'] });
    const url = new URL(`http://localhost:${port}/hook`);
    const pinned = await guard.pin(url);
    const status = await new Promise<number | undefined>((resolve, reject) => {
      http.get(url, { ...pinned, agent: false }, (res) => resolve(res.resume().statusCode)).on('error', reject);
    });
    assert.equal(status, 200);
    assert.deepEqual(hosts, [`localhost:${port}`]);
    // The lookup it returns answers the checked addresses whatever name it is asked, and the
    // family-less form the same first address.
    const addresses = await new Promise<unknown>((resolve) => (pinned.lookup as unknown as (h: string, o: object, cb: (e: unknown, a: unknown) => void) => void)('elsewhere.test', { all: true }, (_e, a) => resolve(a)));
    assert.ok(Array.isArray(addresses) && addresses.every((a: { address: string }) => a.address === '127.0.0.1' || a.address === '::1'), JSON.stringify(addresses));
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
