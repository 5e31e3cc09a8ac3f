// The registry's outbound guard with the real parts `berth up` wires: a manager and a registry
// that knows the manager's URL. Webhooks and replication endpoints aimed at loopback, link-local,
// the registry itself or the manager API are refused when set (400 naming the field) and when
// used (a policy stored before, or allowed then and not any more); a remote registry cannot send
// the client there through a token realm or a redirect; failures show no more than "connection
// failed" and no answer's body; a private address needs no allowance. The original probe — a
// webhook rotating the join token through the manager API — reaches nothing.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { newId } from '../../src/common/ids.js';
import { silentLogger } from '../../src/common/log.js';
import { CONNECTION_FAILED } from '../../src/common/outbound.js';
import { Manager } from '../../src/manager/index.js';
import { Registry } from '../../src/registry/index.js';
import type { ReplicationRun } from '../../src/types/index.js';
import { freePort } from '../helpers/berth.js';
import { TEST_ADMIN_PASSWORD, basicAuth, registryAdmin } from '../helpers/registry-auth.js';
import { until } from '../helpers/wait.js';

interface Delivery {
  status: string;
  attempts: number;
  statusCode?: number;
  error?: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function admin(registry: Registry, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${registry.url}/berth/v1/registry${path}`, {
    method,
    headers: { Authorization: basicAuth('admin', TEST_ADMIN_PASSWORD), ...(body !== undefined && { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** A loopback HTTP server that records the requests it gets and answers with `answer`. */
async function recorder(host = '127.0.0.1', answer: (req: IncomingMessage, res: import('node:http').ServerResponse) => void = (_q, r) => r.end()): Promise<{ server: Server; url: string; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    answer(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as { port: number }).port;
  return { server, url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`, seen };
}

/** A private (RFC 1918 or unique-local) address of this host, if it has one. */
function privateAddress(): string | undefined {
  const all = Object.values(networkInterfaces()).flatMap((l) => l ?? []);
  return all.find((i) => /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|f[cd][0-9a-f]{2}:)/i.test(i.address) && !i.address.startsWith('fe80'))?.address;
}

describe('registry outbound guard', { timeout: 120_000 }, () => {
  let dir: string;
  let manager: Manager;
  const managerHits: string[] = [];
  let receiver: Awaited<ReturnType<typeof recorder>>;
  const registries: Registry[] = [];

  /** start runs a registry as `berth up` does (it knows the manager's URL), allowing `allow`. */
  const start = async (name: string, allow?: string[]): Promise<Registry> => {
    const registry = await Registry.start({
      dataDir: join(dir, name),
      listen: '127.0.0.1:0',
      log: silentLogger(),
      adminPassword: TEST_ADMIN_PASSWORD,
      managerUrl: manager.url,
      allowOutbound: allow,
      webhooks: { retries: 0, timeoutMs: 2000 },
      replication: { attempts: 1 },
    });
    registries.push(registry);
    return registry;
  };
  const stop = async (registry: Registry): Promise<void> => {
    await registry.stop();
    registries.splice(registries.indexOf(registry), 1);
  };
  const push = (registry: Registry, repository: string): void =>
    registry.events.emit({ action: 'push', target: 'manifest', repository, digest: `sha256:${'a'.repeat(64)}`, tag: 'v1' });
  const deliveries = async (registry: Registry, project: string, id: string): Promise<Delivery[]> => (await admin(registry, 'GET', `/projects/${project}/webhooks/${id}/deliveries`)).body;
  const delivered = (registry: Registry, project: string, id: string, count: number): Promise<Delivery[]> =>
    until(
      async () => {
        const list = await deliveries(registry, project, id);
        return list.length >= count && list.every((d) => d.status !== 'pending') ? list : undefined;
      },
      10_000,
      `${count} deliveries of ${id}`,
    );
  const joinTokens = async (): Promise<unknown> => ((await (await fetch(`${manager.url}/swarm`)).json()) as { JoinTokens: unknown }).JoinTokens;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-outbound-'));
    manager = await Manager.start({ dataDir: join(dir, 'manager'), listen: '127.0.0.1:0', insecureApi: true, clusterListen: '127.0.0.1:0', log: silentLogger(), version: 'test' });
    manager.app.server.on('request', (req: IncomingMessage) => managerHits.push(`${req.method} ${req.url}`));
    receiver = await recorder();
  });
  after(async () => {
    for (const r of [...registries]) await r.stop();
    await manager?.stop();
    if (receiver) await new Promise((r) => receiver.server.close(r));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('without an allowance, webhook and endpoint URLs aimed at loopback, link-local, the registry itself or the manager API are a 400 naming the field', async () => {
    const registry = await start('strict');
    await registryAdmin(registry.url, 'admin', TEST_ADMIN_PASSWORD, 'POST', '/projects', { Name: 'hooks' });
    const own = new URL(registry.url).port;
    const targets: Array<[string, RegExp]> = [
      [`${manager.url}/swarm/update?version=1&rotateWorkerToken=true`, /127\.0\.0\.1:\d+ is the manager API, which outbound requests never reach/],
      [receiver.url, /127\.0\.0\.1 is a loopback address; an administrator can allow it with --allow-outbound 127\.0\.0\.1\/32/],
      [`http://localhost:${new URL(receiver.url).port}`, /(127\.0\.0\.1|::1) is a loopback address/],
      ['http://[::1]:5000', /::1 is a loopback address; .*--allow-outbound ::1\/128/],
      ['http://169.254.169.254', /169\.254\.169\.254 is a link-local address/],
      [`http://127.0.0.1:${own}`, new RegExp(`127\\.0\\.0\\.1:${own} is this registry`)],
    ];
    for (const [url, why] of targets) {
      const hook = await admin(registry, 'POST', '/projects/hooks/webhooks', { url: `${url}/hook`, events: ['push'] });
      assert.equal(hook.status, 400, url);
      assert.match(hook.body.message, new RegExp(`^url ${url.replace(/[.?[\]]/g, '\\$&')}.* is refused: ${why.source}`));
      const endpoint = await admin(registry, 'POST', '/registries', { Name: 'target', URL: new URL(url).origin });
      assert.equal(endpoint.status, 400, url);
      assert.match(endpoint.body.message, new RegExp(`^URL .* is refused: ${why.source}`));
      // A ping would connect: only to loopback targets, so that a broken guard sends nothing off this host.
      if (url.includes('169.254')) continue;
      const ping = await admin(registry, 'POST', '/registries/ping', { Name: 'target', URL: new URL(url).origin });
      assert.equal(ping.status, 400, url);
      assert.match(ping.body.message, /^URL .* is refused/);
    }
    assert.deepEqual((await admin(registry, 'GET', '/projects/hooks/webhooks')).body, []);
    assert.deepEqual((await admin(registry, 'GET', '/registries')).body, []);
    assert.deepEqual([managerHits, receiver.seen], [[], []], 'nothing was sent anywhere');
    await stop(registry);
  });

  test('the probe is closed: a webhook at the manager API, refused when set even with loopback allowed, and stored anyway, reaches nothing and rotates no token', async () => {
    const registry = await start('probe', ['127.0.0.0/8']);
    await registryAdmin(registry.url, 'admin', TEST_ADMIN_PASSWORD, 'POST', '/projects', { Name: 'probe' });
    const tokens = await joinTokens();
    managerHits.length = 0;
    const rotate = `${manager.url}/swarm/update?version=1&rotateWorkerToken=true&rotateManagerToken=true`;
    const refused = await admin(registry, 'POST', '/projects/probe/webhooks', { url: rotate, events: ['push'] });
    assert.equal(refused.status, 400);
    assert.match(refused.body.message, /is refused: 127\.0\.0\.1:\d+ is the manager API/);
    // A policy stored before the guard existed, or by anything that skips the API.
    const id = registry.store.update((tx) =>
      tx.registryWebhooks.create({ ID: newId(), Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: { Project: 'probe', Name: 'probe', Url: rotate, Events: ['push'], Enabled: true } }),
    ).ID;
    push(registry, 'probe/app');
    const [d] = await delivered(registry, 'probe', id, 1);
    assert.equal(d!.status, 'failed');
    assert.match(d!.error!, /^refused: 127\.0\.0\.1:\d+ is the manager API, which outbound requests never reach$/);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(managerHits, [], 'the manager API received no request');
    assert.deepEqual(await joinTokens(), tokens, 'the join tokens are unchanged');
    await stop(registry);
  });

  test('a target allowed when set is refused once the allowance is gone (a name that resolves to loopback, at delivery and at replication)', async () => {
    let registry = await start('rebind', ['127.0.0.0/8']);
    await registryAdmin(registry.url, 'admin', TEST_ADMIN_PASSWORD, 'POST', '/projects', { Name: 'rebind' });
    const local = `http://localhost:${new URL(receiver.url).port}`;
    const hook = await admin(registry, 'POST', '/projects/rebind/webhooks', { url: `${local}/rebind`, events: ['push'] });
    assert.equal(hook.status, 201, JSON.stringify(hook.body));
    assert.equal((await admin(registry, 'POST', '/registries', { Name: 'local', URL: local })).status, 201);
    assert.equal((await admin(registry, 'POST', '/replications', { Name: 'from-local', Direction: 'pull', Endpoint: 'local', Repositories: ['rebind/app'], Tags: ['1'] })).status, 201);
    push(registry, 'rebind/app');
    const [ok] = await delivered(registry, 'rebind', hook.body.id, 1);
    assert.deepEqual([ok!.status, ok!.statusCode], ['delivered', 200]);
    const seen = receiver.seen.length;

    await stop(registry);
    registry = await start('rebind');
    push(registry, 'rebind/app');
    const [refused] = await delivered(registry, 'rebind', hook.body.id, 2);
    assert.equal(refused!.status, 'failed');
    assert.match(refused!.error!, /^refused: (127\.0\.0\.1|::1) is a loopback address; an administrator can allow it with --allow-outbound/);
    const ping = await admin(registry, 'POST', '/registries/local/ping');
    assert.equal(ping.status, 400);
    assert.match(ping.body.message, /^the registry local \(http:\/\/localhost:\d+\) cannot be used: localhost:\d+: the API root \/v2\/ was refused: .* is a loopback address/);
    await admin(registry, 'POST', '/replications/from-local/run');
    const run = await until(
      async () => ((await admin(registry, 'GET', '/replications/from-local/runs')).body as ReplicationRun[]).find((r) => r.Status !== 'running'),
      10_000,
      'the run',
    );
    assert.equal(run.Status, 'failed');
    assert.match(run.Error!, /^listing the artifacts to copy failed: localhost:\d+: the tags of rebind\/app was refused: .* is a loopback address/);
    assert.equal(receiver.seen.length, seen, 'the receiver got nothing after the allowance went');
    await stop(registry);
  });

  test('a remote registry cannot send the client to the manager API through its token realm or a redirect; failures show neither the reason nor a body', async () => {
    const registry = await start('remote', ['127.0.0.1/32']);
    let mode = 'realm';
    const remote = await recorder('127.0.0.1', (_req, res) => {
      if (mode === 'realm') res.writeHead(401, { 'WWW-Authenticate': `Bearer realm="${manager.url}/swarm/update?rotateWorkerToken=true",service="x"` }).end();
      else if (mode === 'redirect') res.writeHead(302, { Location: `${manager.url}/swarm` }).end();
      else if (mode === 'text') res.writeHead(500).end('db password: hunter2');
      else res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"errors":[{"message":"internal user list: alice, bob"}]}');
    });
    try {
      managerHits.length = 0;
      const ping = async (): Promise<string> => {
        const res = await admin(registry, 'POST', '/registries/ping', { Name: 'remote', URL: remote.url });
        assert.equal(res.status, 400);
        return res.body.message;
      };
      assert.match(await ping(), /cannot be used: 127\.0\.0\.1:\d+: the token request was refused: 127\.0\.0\.1:\d+ is the manager API/);
      mode = 'redirect';
      assert.match(await ping(), /cannot be used: 127\.0\.0\.1:\d+: the API root \/v2\/ was refused: 127\.0\.0\.1:\d+ is the manager API/);
      assert.deepEqual(managerHits, [], 'the manager API received no request');
      mode = 'text';
      assert.match(await ping(), /: API root \/v2\/: HTTP 500$/);
      mode = 'json';
      assert.match(await ping(), /: API root \/v2\/: HTTP 404$/);
      assert.equal(remote.seen.length, 4);

      // A closed port in the allowed range fails like any connection that got no HTTP answer.
      const closed = await admin(registry, 'POST', '/registries/ping', { Name: 'closed', URL: `http://127.0.0.1:${await freePort()}` });
      assert.equal(closed.status, 400);
      assert.ok(closed.body.message.endsWith(`: the API root /v2/ failed: ${CONNECTION_FAILED}`), closed.body.message);
    } finally {
      await new Promise((r) => remote.server.close(r));
      await stop(registry);
    }
  });

  test('a private address is a target without any allowance', { skip: privateAddress() ? false : 'this host has no private address' }, async () => {
    const registry = await start('private');
    const inside = await recorder(privateAddress());
    try {
      await registryAdmin(registry.url, 'admin', TEST_ADMIN_PASSWORD, 'POST', '/projects', { Name: 'private' });
      const hook = await admin(registry, 'POST', '/projects/private/webhooks', { url: `${inside.url}/private`, events: ['push'] });
      assert.equal(hook.status, 201, JSON.stringify(hook.body));
      push(registry, 'private/app');
      const [d] = await delivered(registry, 'private', hook.body.id, 1);
      assert.deepEqual([d!.status, d!.statusCode], ['delivered', 200]);
      assert.deepEqual(inside.seen, ['POST /private']);
    } finally {
      await new Promise((r) => inside.server.close(r));
      await stop(registry);
    }
  });
});
