// Webhooks with a real local HTTP receiver: the policy API, Harbor-style payloads for pushes,
// pulls, deletes and refused pushes, signatures the receiver can verify, retries with backoff
// after 5xx answers, and the delivery log (kept in storage across restarts). The receiver is on
// loopback, which the outbound guard refuses: these tests allow 127.0.0.0/8 as an administrator
// would (--allow-outbound), and check what stays refused and what a failed delivery shows.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newId } from '../../common/ids.js';
import { silentLogger } from '../../common/log.js';
import { CONNECTION_FAILED, OutboundGuard } from '../../common/outbound.js';
import type { Store } from '../../store/index.js';
import { openTestStore } from '../../../test/helpers/store.js';
import '../kinds.js';
import { RegistryEvents } from '../events.js';
import { FilesystemDriver } from '../storage/filesystem-driver.js';
import { QuotaGuard } from '../policies/quotas.js';
import { pushImage, req, startRegistry, type TestRegistry } from '../distribution/test-helpers.js';
import { UsageAccountant } from '../policies/usage.js';
import { DeliveryLog } from './webhook-log.js';
import { webhookRoutes } from './webhook-routes.js';
import { WebhookNotifier, type Delivery } from './webhooks.js';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

const json = { 'Content-Type': 'application/json' };

describe('webhooks', () => {
  let reg: TestRegistry;
  let store: Store;
  let notifier: WebhookNotifier;
  let driver: FilesystemDriver;
  let events: RegistryEvents;
  let dir: string;
  let receiver: Server;
  let receiverUrl: string;
  const received: Received[] = [];
  /** Status codes the receiver answers with, per path, in order; 200 once they run out. */
  const answers = new Map<string, number[]>();

  const createProject = (name: string, quota = -1): void => {
    store.update((tx) =>
      tx.registryProjects.create({ ID: newId(), Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: { Name: name, Public: false, Members: [], QuotaBytes: quota } }),
    );
  };
  const hook = async (project: string, body: unknown): Promise<{ id: string; version: number }> => {
    const res = await req(reg, 'POST', `/berth/v1/registry/projects/${project}/webhooks`, { body: JSON.stringify(body), headers: json });
    assert.equal(res.status, 201, res.body.toString());
    return res.json();
  };
  const deliveries = async (project: string, id: string): Promise<Delivery[]> => (await req(reg, 'GET', `/berth/v1/registry/projects/${project}/webhooks/${id}/deliveries`)).json();
  const waitFor = async <T>(what: string, check: () => T | undefined | Promise<T | undefined>): Promise<T> => {
    for (let i = 0; i < 200; i++) {
      const v = await check();
      if (v !== undefined) return v;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`timed out waiting for ${what}`);
  };
  const at = (path: string): Received[] => received.filter((r) => r.path === path);

  before(async () => {
    receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (d: Buffer) => (body += d.toString()));
      request.on('end', () => {
        received.push({ path: request.url!, headers: request.headers, body, at: Date.now() });
        const queue = answers.get(request.url!) ?? [];
        response.statusCode = queue.shift() ?? 200;
        // What an internal service might answer: it must never reach the delivery log.
        response.end(request.url === '/leaky' ? 'root:x:0:0:root:/root:/bin/bash' : undefined);
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;

    store = await openTestStore();
    events = new RegistryEvents(silentLogger());
    dir = await mkdtemp(join(tmpdir(), 'berth-registry-webhooks-'));
    driver = await FilesystemDriver.open(join(dir, 'storage'));
    const usage = new UsageAccountant(driver, events);
    const log = await DeliveryLog.open(driver, silentLogger());
    const outbound = new OutboundGuard({ allow: ['127.0.0.0/8'], listeners: () => [{ name: 'this registry', host: '127.0.0.1', port: Number(new URL(reg.url).port) }] });
    notifier = new WebhookNotifier(store, events, () => 'registry.test:5000', silentLogger(), { retries: 3, backoffMs: 100, timeoutMs: 1000, deliveries: log, outbound });
    reg = await startRegistry({ events, store, guards: [new QuotaGuard(store, usage, events)], adminRoutes: [webhookRoutes(notifier)] }, dir);
  });
  after(async () => {
    await notifier.close();
    await reg.close();
    store.close();
    await new Promise((r) => receiver.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  test('a push, a pull and a delete reach the endpoint as Harbor-style payloads, signed with the secret', async () => {
    createProject('hooks');
    const policy = await hook('hooks', { url: `${receiverUrl}/signed`, events: ['push', 'pull', 'delete'], secret: 's3cret' });
    const img = await pushImage(reg, 'hooks/app', 'v1');
    const push = await waitFor('the push event', () => at('/signed')[0]);
    const payload = JSON.parse(push.body);
    assert.equal(payload.type, 'PUSH_ARTIFACT');
    assert.ok(Math.abs(payload.occur_at - Date.now() / 1000) < 60);
    assert.deepEqual(payload.event_data, {
      resources: [{ digest: img.digest, tag: 'v1', resource_url: 'registry.test:5000/hooks/app:v1' }],
      repository: { name: 'app', namespace: 'hooks', repo_full_name: 'hooks/app' },
    });
    const expected = `sha256=${createHmac('sha256', 's3cret').update(push.body).digest('hex')}`;
    assert.equal(push.headers['x-berth-signature'], expected);
    assert.equal(push.headers['x-berth-event'], 'PUSH_ARTIFACT');
    assert.equal(push.headers['content-type'], 'application/json');

    assert.equal((await req(reg, 'GET', '/v2/hooks/app/manifests/v1')).status, 200);
    assert.equal((await req(reg, 'DELETE', `/v2/hooks/app/manifests/${img.digest}`)).status, 202);
    await waitFor('pull and delete', () => (at('/signed').length >= 3 ? true : undefined));
    assert.deepEqual(
      at('/signed').map((r) => JSON.parse(r.body).type),
      ['PUSH_ARTIFACT', 'PULL_ARTIFACT', 'DELETE_ARTIFACT'],
    );
    const log = await deliveries('hooks', policy.id);
    assert.deepEqual(
      log.map((d) => [d.event, d.status, d.attempts, d.statusCode]),
      [
        ['delete', 'delivered', 1, 200],
        ['pull', 'delivered', 1, 200],
        ['push', 'delivered', 1, 200],
      ],
    );
  });

  test('5xx answers are retried with growing waits; a delivery that never succeeds is logged as failed', async () => {
    createProject('retry');
    const flaky = await hook('retry', { url: `${receiverUrl}/flaky`, events: ['push'] });
    const down = await hook('retry', { url: `${receiverUrl}/down`, events: ['push'] });
    answers.set('/flaky', [500, 503]);
    answers.set('/down', [500, 500, 500, 500, 500]);
    await pushImage(reg, 'retry/app', 'v1');
    const ok = await waitFor('the flaky delivery', async () => (await deliveries('retry', flaky.id)).find((d) => d.status !== 'pending'));
    assert.equal(ok.status, 'delivered');
    assert.equal(ok.attempts, 3);
    assert.equal(ok.statusCode, 200);
    const times = at('/flaky').map((r) => r.at);
    assert.equal(times.length, 3);
    assert.ok(times[1]! - times[0]! >= 90 && times[2]! - times[1]! >= 190, `backoff doubles: ${times.map((t) => t - times[0]!)}`);
    assert.equal(new Set(at('/flaky').map((r) => r.headers['x-berth-delivery'])).size, 1, 'one delivery, several attempts');

    const failed = await waitFor('the failing delivery', async () => (await deliveries('retry', down.id)).find((d) => d.status !== 'pending'));
    assert.equal(failed.status, 'failed');
    assert.equal(failed.attempts, 4);
    assert.equal(failed.statusCode, 500);
    assert.equal(failed.error, 'the endpoint answered 500');
    assert.ok(failed.durationMs! >= 700);
  });

  test('a push over quota is sent as QUOTA_EXCEED; disabled policies and other event types get nothing', async () => {
    createProject('full', 10);
    await hook('full', { url: `${receiverUrl}/quota`, events: ['quotaExceeded'] });
    await hook('full', { url: `${receiverUrl}/disabled`, events: ['quotaExceeded', 'push'], enabled: false });
    await hook('full', { url: `${receiverUrl}/pushes`, events: ['push'] });
    await assert.rejects(pushImage(reg, 'full/app', 'v1'), /403/);
    const got = await waitFor('the quota event', () => at('/quota')[0]);
    const payload = JSON.parse(got.body);
    assert.equal(payload.type, 'QUOTA_EXCEED');
    assert.match(payload.event_data.custom_attributes.details, /quota exceeded: project full uses 0 bytes of its quota of 10 bytes/);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(at('/disabled').length + at('/pushes').length, 0);
  });

  test('replication results are sent as REPLICATION with their status and remote', async () => {
    createProject('repl');
    await hook('repl', { url: `${receiverUrl}/repl`, events: ['replication'] });
    events.emit({ action: 'replicate', target: 'manifest', repository: 'repl/app', digest: 'sha256:' + 'a'.repeat(64), tag: 'v1', status: 'failed', remote: 'http://other:5000/repl/app', message: 'connection refused' });
    const got = await waitFor('the replication event', () => at('/repl')[0]);
    const payload = JSON.parse(got.body);
    assert.equal(payload.type, 'REPLICATION');
    assert.deepEqual(payload.event_data.replication, { status: 'failed', remote: 'http://other:5000/repl/app', message: 'connection refused' });
    assert.equal(payload.event_data.resources[0].resource_url, 'registry.test:5000/repl/app:v1');
  });

  test('the policy API checks input, hides the secret, replaces optimistically and deletes', async () => {
    createProject('api');
    const base = '/berth/v1/registry/projects/api/webhooks';
    const bad: Array<[unknown, RegExp]> = [
      [{ url: 'ftp://x', events: ['push'] }, /url must be an http:\/\/ or https:\/\/ URL/],
      [{ url: receiverUrl, events: [] }, /events must be a non-empty list of push, pull, delete, quotaExceeded, replication/],
      [{ url: receiverUrl, events: ['pushed'] }, /events must be/],
      [{ url: receiverUrl, events: ['push'], enabled: 'yes' }, /enabled must be true or false/],
    ];
    for (const [body, message] of bad) {
      const res = await req(reg, 'POST', base, { body: JSON.stringify(body), headers: json });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(res.json().message, message);
    }
    assert.equal((await req(reg, 'POST', '/berth/v1/registry/projects/none/webhooks', { body: '{}', headers: json })).status, 404);

    const created = await hook('api', { name: 'ci', url: `${receiverUrl}/api`, events: ['push'], secret: 'k' });
    const listed = (await req(reg, 'GET', base)).json();
    assert.equal(listed.length, 1);
    assert.equal(listed[0].hasSecret, true);
    assert.equal(listed[0].name, 'ci');
    assert.ok(!JSON.stringify(listed).includes('"k"'), 'the secret is never returned');

    const stale = await req(reg, 'PUT', `${base}/${created.id}`, { body: JSON.stringify({ url: `${receiverUrl}/api2`, events: ['pull'], version: created.version - 1 }), headers: json });
    assert.equal(stale.status, 409);
    const put = await req(reg, 'PUT', `${base}/${created.id}`, { body: JSON.stringify({ url: `${receiverUrl}/api2`, events: ['pull'], version: created.version }), headers: json });
    assert.equal(put.status, 200, put.body.toString());
    assert.deepEqual([put.json().url, put.json().events, put.json().hasSecret, put.json().name], [`${receiverUrl}/api2`, ['pull'], true, 'ci']);

    assert.equal((await req(reg, 'DELETE', `${base}/${created.id}`)).status, 204);
    assert.equal((await req(reg, 'GET', `${base}/${created.id}`)).status, 404);
    assert.deepEqual((await req(reg, 'GET', base)).json(), []);
  });

  test('a manifest pushed by digest is named by its digest in the resource URL', async () => {
    createProject('bydigest');
    await hook('bydigest', { url: `${receiverUrl}/bydigest`, events: ['push'] });
    const img = await pushImage(reg, 'bydigest/app', undefined, { seed: 'no tag' });
    const got = await waitFor('the push', () => at('/bydigest')[0]);
    assert.equal(JSON.parse(got.body).event_data.resources[0].resource_url, `registry.test:5000/bydigest/app@${img.digest}`);
  });

  test('the delivery log outlives a restart: written by itself, read back, a delivery left pending shows as interrupted, a deleted policy\'s log goes', async () => {
    createProject('persist');
    const policy = await hook('persist', { url: `${receiverUrl}/persist`, events: ['push'] });
    await pushImage(reg, 'persist/app', 'v1');
    const stored = async (): Promise<Delivery[] | undefined> => {
      const log = await DeliveryLog.open(driver, silentLogger());
      return log.list(policy.id).some((d) => d.status === 'delivered') ? log.list(policy.id) : undefined;
    };
    // Nothing flushes it here: the log writes itself within a second of the change.
    assert.deepEqual(await waitFor('the log in storage', stored), await deliveries('persist', policy.id));

    const pending: Delivery = { ...notifier.deliveries(policy.id)[0]!, id: 'cut-short', status: 'pending', statusCode: undefined };
    await driver.putContent(`webhook-deliveries/${policy.id}`, Buffer.from(JSON.stringify([pending])));
    const reopened = await DeliveryLog.open(driver, silentLogger());
    assert.deepEqual(
      reopened.list(policy.id).map((d) => [d.id, d.status, d.error]),
      [['cut-short', 'failed', 'interrupted: the registry stopped before the delivery finished']],
    );

    assert.equal((await req(reg, 'DELETE', `/berth/v1/registry/projects/persist/webhooks/${policy.id}`)).status, 204);
    await waitFor('the stored log deleted', async () => ((await driver.list('webhook-deliveries')).includes(policy.id) ? undefined : true));
  });

  test('a URL the guard refuses is a 400 naming url, at create and at replace: the registry itself, ::1 outside the allowance, link-local', async () => {
    createProject('refused');
    const base = '/berth/v1/registry/projects/refused/webhooks';
    const port = new URL(reg.url).port;
    const refused: Array<[string, RegExp]> = [
      [`${reg.url}/berth/v1/registry/users`, new RegExp(`^url http://127\\.0\\.0\\.1:${port}/berth/v1/registry/users is refused: 127\\.0\\.0\\.1:${port} is this registry, which outbound requests never reach$`)],
      [`http://localhost:${port}/v2/`, /is refused: 127\.0\.0\.1:\d+ is this registry/],
      ['http://[::1]:7420/swarm/join', /^url http:\/\/\[::1\]:7420\/swarm\/join is refused: ::1 is a loopback address; an administrator can allow it with --allow-outbound ::1\/128/],
      ['http://169.254.169.254/latest/meta-data/', /is refused: 169\.254\.169\.254 is a link-local address; .*--allow-outbound 169\.254\.169\.254\/32/],
      ['http://[::ffff:a9fe:a9fe]/', /is refused: ::ffff:a9fe:a9fe is a link-local address/],
    ];
    for (const [url, message] of refused) {
      const res = await req(reg, 'POST', base, { body: JSON.stringify({ url, events: ['push'] }), headers: json });
      assert.equal(res.status, 400, url);
      assert.match(res.json().message, message);
    }
    assert.deepEqual((await req(reg, 'GET', base)).json(), [], 'nothing was created');
    const created = await hook('refused', { url: `${receiverUrl}/ok`, events: ['push'] });
    const put = await req(reg, 'PUT', `${base}/${created.id}`, { body: JSON.stringify({ url: 'http://[fe80::1]/', events: ['push'] }), headers: json });
    assert.equal(put.status, 400);
    assert.match(put.json().message, /^url http:\/\/\[fe80::1\]\/ is refused: fe80::1 is a link-local address/);
    assert.equal((await req(reg, 'GET', `${base}/${created.id}`)).json().url, `${receiverUrl}/ok`, 'the policy is unchanged');
  });

  test('a stored policy whose target is refused now (set before, or under a wider allowance) sends nothing: the log says why', async () => {
    createProject('stored');
    const loopback6: string[] = [];
    const v6 = createServer((request, response) => {
      loopback6.push(request.url!);
      response.end();
    });
    await new Promise<void>((r) => v6.listen(0, '::1', r));
    const ownHits: string[] = [];
    const onRequest = (request: { url?: string }): void => {
      if (request.url === '/v2/own-hook') ownHits.push(request.url);
    };
    reg.app.server.on('request', onRequest);
    try {
      const stored = (url: string): string =>
        store.update((tx) =>
          tx.registryWebhooks.create({ ID: newId(), Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: { Project: 'stored', Name: url, Url: url, Events: ['push'], Enabled: true } }),
        ).ID;
      const v6Policy = stored(`http://[::1]:${(v6.address() as { port: number }).port}/hook`);
      const ownPolicy = stored(`${reg.url}/v2/own-hook`);
      await pushImage(reg, 'stored/app', 'v1');
      const ended = async (id: string): Promise<Delivery | undefined> => (await deliveries('stored', id)).find((d) => d.status !== 'pending');
      const v6Delivery = await waitFor('the [::1] delivery', () => ended(v6Policy));
      assert.deepEqual([v6Delivery.status, v6Delivery.attempts, v6Delivery.statusCode], ['failed', 1, undefined], 'a refusal is final');
      assert.match(v6Delivery.error!, /^refused: ::1 is a loopback address; an administrator can allow it with --allow-outbound ::1\/128/);
      const ownDelivery = await waitFor('the delivery to the registry itself', () => ended(ownPolicy));
      assert.match(ownDelivery.error!, /^refused: 127\.0\.0\.1:\d+ is this registry/);
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(loopback6, [], 'the [::1] server received nothing');
      assert.deepEqual(ownHits, [], 'the registry received nothing');
    } finally {
      reg.app.server.off('request', onRequest);
      await new Promise((r) => v6.close(r));
    }
  });

  test('a delivery that gets no HTTP answer shows one reason whether the port is closed, speaks something else or stays silent; an answer\'s body is never shown', async () => {
    createProject('probe');
    const listen = async (server: TcpServer): Promise<number> => {
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      return (server.address() as { port: number }).port;
    };
    const closed = createTcpServer();
    const closedPort = await listen(closed);
    await new Promise((r) => closed.close(r));
    const banner = createTcpServer((socket) => socket.end('SSH-2.0-OpenSSH_9.6\r\n'));
    const silent = createTcpServer((socket) => socket.on('error', () => undefined));
    try {
      const targets = { closed: closedPort, banner: await listen(banner), silent: await listen(silent) };
      const ids = new Map<string, string>();
      for (const [name, port] of Object.entries(targets)) ids.set(name, (await hook('probe', { url: `http://127.0.0.1:${port}/`, events: ['push'] })).id);
      const leaky = await hook('probe', { url: `${receiverUrl}/leaky`, events: ['push'] });
      answers.set('/leaky', [403]);
      await pushImage(reg, 'probe/app', 'v1');
      const shown: Record<string, unknown> = {};
      for (const [name, id] of ids) {
        const d = await waitFor(`the ${name} delivery`, async () => (await deliveries('probe', id)).find((x) => x.status !== 'pending'));
        shown[name] = { status: d.status, attempts: d.attempts, error: d.error, statusCode: d.statusCode, durationMs: d.durationMs };
      }
      const same = { status: 'failed', attempts: 4, error: CONNECTION_FAILED, statusCode: undefined, durationMs: undefined };
      assert.deepEqual(shown, { closed: same, banner: same, silent: same });
      const answered = await waitFor('the leaky delivery', async () => (await deliveries('probe', leaky.id)).find((x) => x.status !== 'pending'));
      assert.deepEqual([answered.status, answered.statusCode, answered.error], ['failed', 403, 'the endpoint answered 403']);
      assert.ok(!JSON.stringify(await deliveries('probe', leaky.id)).includes('root:'), 'the body is not in the log');
    } finally {
      banner.close();
      silent.close();
    }
  });
});
