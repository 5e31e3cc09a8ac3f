// Webhooks with a real local HTTP receiver: the policy API, Harbor-style payloads for pushes,
// pulls, deletes and refused pushes, signatures the receiver can verify, retries with backoff
// after 5xx answers, and the delivery log (kept in storage across restarts).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newId } from '../common/ids.js';
import { silentLogger } from '../common/log.js';
import { Store } from '../store/index.js';
import { RegistryEvents } from './events.js';
import { FilesystemDriver } from './filesystem-driver.js';
import { QuotaGuard } from './quotas.js';
import { pushImage, req, startRegistry, type TestRegistry } from './test-helpers.js';
import { UsageAccountant } from './usage.js';
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
        response.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;

    store = new Store();
    events = new RegistryEvents(silentLogger());
    dir = await mkdtemp(join(tmpdir(), 'berth-registry-webhooks-'));
    driver = await FilesystemDriver.open(join(dir, 'storage'));
    const usage = new UsageAccountant(driver, events);
    const log = await DeliveryLog.open(driver, silentLogger());
    notifier = new WebhookNotifier(store, events, () => 'registry.test:5000', silentLogger(), { retries: 3, backoffMs: 100, timeoutMs: 1000, deliveries: log });
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
});
