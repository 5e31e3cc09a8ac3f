import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request, type IncomingHttpHeaders } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { limitRequest } from '../../common/request-scope.js';
import { followTestStore, onEtcd } from '../../../test/helpers/store.js';
import { EventHub, MAX_BACKLOG, RING_SIZE } from '../events/hub.js';
import { isoNano } from '../events/event.js';
import { createApiServer } from '../server.js';
import { call, createService, filters, seedNode, seedTask, spec, testApi } from '../test-helpers.js';

interface Message {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: string;
  time: number;
  /** As sent: a JSON number beyond a double's integers, kept exact. */
  timeNano: bigint;
}

const parse = (line: string): Message => ({ ...(JSON.parse(line) as Message), timeNano: BigInt(/"timeNano":(\d+)\}$/.exec(line)![1]!) });
const short = (m: Message): string => `${m.Type} ${m.Action} ${m.Actor.Attributes.name}`;

interface Stream {
  status: number;
  headers: IncomingHttpHeaders;
  /** next resolves with the next event, or undefined once the stream has ended. */
  next(): Promise<Message | undefined>;
  ended: Promise<void>;
  close(): void;
}

/** open reads GET /events over a real connection, event by event, as the CLI does. */
async function open(app: FastifyInstance, query = ''): Promise<Stream> {
  if (!app.server.listening) await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: `/v1.41/events${query}` }, (res) => {
      const lines: string[] = [];
      let partial = '';
      let wake: (() => void) | undefined;
      let done = false;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const parts = (partial + chunk).split('\n');
        partial = parts.pop()!;
        lines.push(...parts);
        wake?.();
      });
      const ended = new Promise<void>((r) => res.on('close', () => ((done = true), wake?.(), r())));
      const next = async (): Promise<Message | undefined> => {
        while (lines.length === 0 && !done) await new Promise<void>((r) => (wake = r));
        const line = lines.shift();
        return line === undefined ? undefined : parse(line);
      };
      resolve({ status: res.statusCode!, headers: res.headers, next, ended, close: () => res.destroy() });
    });
    req.on('error', reject);
    req.end();
  });
}

/** past asks for the kept events up to now, which end at once. */
async function past(app: FastifyInstance, f: Record<string, string[]> = {}, since = '0'): Promise<Message[]> {
  const res = await app.inject({ method: 'GET', url: `/v1.41/events?since=${since}&until=${Date.now() / 1000}&filters=${filters(f)}` });
  assert.equal(res.statusCode, 200, res.body);
  return res.body.split('\n').filter((l) => l !== '').map(parse);
}

const stamp = (ms: number): string => (ms / 1000).toFixed(3);

test('a stream: headers at once; creating, updating and removing services, secrets, configs, networks, nodes and tasks give dockerd\'s lines (tasks: Berth\'s)', async () => {
  const api = await testApi();
  const s = await open(api.app);
  // The CLI waits for the headers before it shows anything: they come before any event.
  assert.equal(s.status, 200);
  assert.equal(s.headers['content-type'], 'application/json');
  const expect = async (type: string, action: string, id: string, attributes: Record<string, string>, at?: string): Promise<void> => {
    const m = await s.next();
    assert.ok(m, `a ${type} ${action} event`);
    assert.deepEqual({ Type: m.Type, Action: m.Action, ID: m.Actor.ID, Attributes: m.Actor.Attributes, scope: m.scope }, { Type: type, Action: action, ID: id, Attributes: attributes, scope: 'swarm' });
    assert.equal(BigInt(m.time), m.timeNano / 1_000_000_000n);
    if (at) assert.equal(m.timeNano, isoNano(at), 'dated as the object says');
  };

  const web = await createService(api, { ...spec('web'), Mode: { Replicated: { Replicas: 1 } } });
  await expect('service', 'create', web.ID, { name: 'web' }, web.CreatedAt);
  const updated = await call(api.app, 'POST', `/v1.41/services/${web.ID}/update?version=${web.Version.Index}`, { ...web.Spec, Mode: { Replicated: { Replicas: 3 } }, TaskTemplate: { ContainerSpec: { Image: 'localhost/berth-demo:2' } } });
  assert.equal(updated.status, 200, JSON.stringify(updated.body));
  const stored = api.store.view((tx) => tx.services.get(web.ID)!);
  await expect('service', 'update', web.ID, { name: 'web', 'image.old': 'localhost/berth-demo:1', 'image.new': 'localhost/berth-demo:2', 'replicas.old': '1', 'replicas.new': '3' }, stored.UpdatedAt);
  api.store.update((tx) => tx.services.update({ ...tx.services.get(web.ID)!, UpdateStatus: { State: 'updating' } }));
  await expect('service', 'update', web.ID, { name: 'web', 'updatestate.new': 'updating' });
  api.store.update((tx) => tx.services.update({ ...tx.services.get(web.ID)!, UpdateStatus: { State: 'completed' } }));
  await expect('service', 'update', web.ID, { name: 'web', 'updatestate.old': 'updating', 'updatestate.new': 'completed' });

  const node = seedNode(api.store, { hostname: 'worker-1' });
  await expect('node', 'create', node.ID, { name: 'worker-1' }, node.CreatedAt);
  assert.equal((await call(api.app, 'POST', `/v1.41/nodes/${node.ID}/update?version=${node.Version.Index}`, { Role: 'worker', Availability: 'drain' })).status, 200);
  await expect('node', 'update', node.ID, { name: 'worker-1', 'availability.old': 'active', 'availability.new': 'drain' });
  api.store.update((tx) => tx.nodes.update({ ...tx.nodes.get(node.ID)!, Status: { State: 'down', Message: 'heartbeat failure' } }));
  await expect('node', 'update', node.ID, { name: 'worker-1', 'state.old': 'ready', 'state.new': 'down' });

  const task = seedTask(api.store, stored, { slot: 2, nodeId: node.ID, state: 'assigned' });
  const taskName = `web.2.${task.ID}`;
  const base = { name: taskName, 'service.name': 'web', 'service.id': web.ID, 'node.id': node.ID, slot: '2', 'desired-state': 'running' };
  await expect('task', 'create', task.ID, { ...base, state: 'assigned' });
  api.store.update((tx) => tx.tasks.update({ ...tx.tasks.get(task.ID)!, Status: { Timestamp: '', State: 'failed', Message: 'started', Err: 'task: non-zero exit (1)' } }));
  await expect('task', 'update', task.ID, { ...base, state: 'failed', 'state.old': 'assigned', 'state.new': 'failed', error: 'task: non-zero exit (1)' });
  api.store.update((tx) => tx.tasks.delete(task.ID));
  await expect('task', 'remove', task.ID, { ...base, state: 'failed', error: 'task: non-zero exit (1)' });

  assert.equal((await call(api.app, 'DELETE', `/v1.41/services/${web.ID}`)).status, 200);
  await expect('service', 'remove', web.ID, { name: 'web' });

  const secret = await call(api.app, 'POST', '/v1.41/secrets/create', { Name: 'db-pass', Data: Buffer.from('hunter2').toString('base64') });
  await expect('secret', 'create', secret.body.ID, { name: 'db-pass' });
  assert.equal((await call(api.app, 'POST', `/v1.41/secrets/${secret.body.ID}/update?version=${api.store.view((tx) => tx.secrets.get(secret.body.ID)!.Version.Index)}`, { Name: 'db-pass', Labels: { a: 'b' }, Data: Buffer.from('hunter2').toString('base64') })).status, 200);
  await expect('secret', 'update', secret.body.ID, { name: 'db-pass' });
  assert.equal((await call(api.app, 'DELETE', `/v1.41/secrets/${secret.body.ID}`)).status, 204);
  await expect('secret', 'remove', secret.body.ID, { name: 'db-pass' });

  const config = await call(api.app, 'POST', '/v1.41/configs/create', { Name: 'site.conf', Data: Buffer.from('listen 80').toString('base64') });
  await expect('config', 'create', config.body.ID, { name: 'site.conf' });
  const network = await call(api.app, 'POST', '/v1.41/networks/create', { Name: 'backend', Driver: 'overlay' });
  await expect('network', 'create', network.body.Id, { name: 'backend' });
  assert.equal((await call(api.app, 'DELETE', `/v1.41/networks/${network.body.Id}`)).status, 204);
  await expect('network', 'remove', network.body.Id, { name: 'backend' });

  s.close();
  await api.close();
});

test('filters: type, event, scope, label (the object\'s labels and the attributes), and objects by ID or name prefix — a task by its service and node too', async () => {
  const api = await testApi();
  const n1 = seedNode(api.store, { hostname: 'worker-1' });
  seedNode(api.store, { hostname: 'worker-2' });
  const web = await createService(api, { ...spec('web'), Labels: { 'com.docker.stack.namespace': 'shop' } });
  const webapi = await createService(api, spec('webapi'));
  const t1 = seedTask(api.store, web, { slot: 1, nodeId: n1.ID });
  const t2 = seedTask(api.store, webapi, { slot: 1 });
  await call(api.app, 'POST', '/v1.41/secrets/create', { Name: 'web-key', Data: Buffer.from('k').toString('base64') });

  const seen = async (f: Record<string, string[]>): Promise<string[]> => (await past(api.app, f)).map(short);
  assert.deepEqual(await seen({}), ['node create worker-1', 'node create worker-2', 'service create web', 'service create webapi', `task create web.1.${t1.ID}`, `task create webapi.1.${t2.ID}`, 'secret create web-key']);
  assert.deepEqual(await seen({ type: ['service'] }), ['service create web', 'service create webapi']);
  assert.deepEqual(await seen({ type: ['service', 'secret'], service: ['web'] }), ['service create web', 'service create webapi'], 'a prefix, as dockerd matches; a filter on services leaves other objects out');
  assert.deepEqual(await seen({ service: [web.ID] }), ['service create web', `task create web.1.${t1.ID}`]);
  assert.deepEqual(await seen({ node: ['worker-1'] }), ['node create worker-1', `task create web.1.${t1.ID}`]);
  assert.deepEqual(await seen({ node: [n1.ID], type: ['task'], service: ['web'] }), [`task create web.1.${t1.ID}`]);
  assert.deepEqual(await seen({ task: ['web.1'] }), [`task create web.1.${t1.ID}`]);
  assert.deepEqual(await seen({ label: ['com.docker.stack.namespace=shop'] }), ['service create web', `task create web.1.${t1.ID}`]);
  assert.deepEqual(await seen({ label: ['slot=1', 'service.name=webapi'] }), [`task create webapi.1.${t2.ID}`]);
  assert.deepEqual(await seen({ secret: ['web'] }), ['secret create web-key']);
  assert.deepEqual(await seen({ scope: ['local'] }), []);
  assert.equal((await seen({ scope: ['swarm'], event: ['create'] })).length, 7);
  assert.deepEqual(await seen({ event: ['update', 'remove'] }), []);
  await api.close();
});

test('since replays from the kept events, until ends the stream; without either, only what comes next', async () => {
  const api = await testApi();
  await createService(api, spec('a'));
  await sleep(5);
  const between = Date.now();
  await sleep(5);
  await createService(api, spec('b'));

  assert.deepEqual((await past(api.app, {}, stamp(between))).map(short), ['service create b']);
  assert.deepEqual((await past(api.app, {}, '10m')).map(short), ['service create a', 'service create b'], 'a duration back from now');
  assert.deepEqual((await past(api.app, {}, new Date(between).toISOString())).map(short), ['service create b'], 'an RFC 3339 time');
  const upTo = await api.app.inject({ method: 'GET', url: `/v1.41/events?until=${stamp(between)}` });
  assert.deepEqual(upTo.body.trim().split('\n').map(parse).map(short), ['service create a'], 'until alone replays what came before it, as dockerd');

  // A time in the nanoseconds the CLI sends: the event of that very nanosecond is in, the one before is not.
  const b = (await past(api.app, { service: ['b'] }))[0]!;
  const exact = `${b.timeNano / 1_000_000_000n}.${String(b.timeNano % 1_000_000_000n).padStart(9, '0')}`;
  assert.deepEqual((await past(api.app, {}, exact)).map(short), ['service create b']);

  const started = Date.now();
  const s = await open(api.app, `?since=${stamp(between)}&until=${stamp(started + 400)}`);
  assert.equal(short((await s.next())!), 'service create b');
  await createService(api, spec('c'));
  assert.equal(short((await s.next())!), 'service create c');
  assert.equal(await s.next(), undefined, 'the stream ends at until');
  assert.ok(Date.now() - started >= 350, `it lasted until then (${Date.now() - started} ms)`);

  const live = await open(api.app);
  await createService(api, spec('d'));
  assert.equal(short((await live.next())!), 'service create d', 'no replay without since or until');
  live.close();
  await api.close();
});

test('bad filters and times are 400s with dockerd\'s texts', async () => {
  const api = await testApi();
  const bad = async (query: string): Promise<string> => {
    const res = await call(api.app, 'GET', `/v1.41/events?${query}`);
    assert.equal(res.status, 400, query);
    return res.body.message;
  };
  assert.equal(await bad(`filters=${filters({ container: ['web'] })}`), "invalid filter 'container'");
  assert.equal(await bad(`filters=${filters({ type: ['container'] })}`), "invalid filter 'type=container': use one of config, network, node, secret, service, task");
  assert.equal(await bad(`filters=${filters({ event: ['start'] })}`), "invalid filter 'event=start': use one of create, update, remove");
  assert.equal(await bad(`filters=${filters({ scope: ['global'] })}`), "invalid filter 'scope=global': use one of local, swarm");
  assert.match(await bad('filters=%7Bnot-json'), /^invalid filters: not valid JSON/);
  assert.equal(await bad('since=20&until=10'), '`since` time (20) cannot be after `until` time (10)');
  assert.match(await bad('since=yesterday'), /^invalid value for 'since': "yesterday" is not a time: give unix seconds/);
  assert.match(await bad('until=1.5.6'), /^invalid value for 'until'/);
  await api.close();
});

test("a caller held to their teams' objects (access/scope.ts) sees their events and every node's", async () => {
  const api = await testApi();
  api.app.addHook('onRequest', async (request) => limitRequest(request, (labels) => labels?.['berth.team'] === 'shop', () => undefined));
  seedNode(api.store, { hostname: 'worker-1' });
  const shop = await createService(api, { ...spec('shop_web'), Labels: { 'berth.team': 'shop' } });
  const blog = await createService(api, { ...spec('blog_web'), Labels: { 'berth.team': 'blog' } });
  seedTask(api.store, shop);
  seedTask(api.store, blog);
  await call(api.app, 'POST', '/v1.41/secrets/create', { Name: 'blog_key', Labels: { 'berth.team': 'blog' }, Data: Buffer.from('k').toString('base64') });
  assert.deepEqual((await past(api.app)).map((m) => `${m.Type} ${m.Action} ${m.Actor.Attributes['service.name'] ?? m.Actor.Attributes.name}`), ['node create worker-1', 'service create shop_web', 'task create shop_web']);
  await api.close();
});

test(`a client ${MAX_BACKLOG} events behind has its stream ended: what was queued is still sent; the manager keeps the last ${RING_SIZE}`, async () => {
  const api = await testApi();
  const hub = new EventHub(api.store, api.app.log);
  let overflowed = 0;
  const sub = hub.subscribe({ replay: false, accepts: () => true, onOverflow: () => overflowed++ });
  api.store.update((tx) => {
    for (let i = 0; i <= MAX_BACKLOG; i++) tx.configs.create({ ID: `c${i}`, Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: { Name: `c${i}`, Data: '' } });
  });
  const lines = await sub.next();
  assert.equal(lines?.length, MAX_BACKLOG);
  assert.equal(await sub.next(), undefined, 'then it ends');
  assert.equal(overflowed, 1);
  const kept = await past(api.app);
  assert.deepEqual([kept.length, kept[0]!.Actor.Attributes.name, kept.at(-1)!.Actor.Attributes.name], [RING_SIZE, `c${MAX_BACKLOG + 1 - RING_SIZE}`, `c${MAX_BACKLOG}`]);
  hub.close();
  await api.close();
});

test('a follower streams the leader\'s commits from its own copy of the store (etcd)', { skip: !onEtcd && 'runs with BERTH_TEST_STORE=etcd' }, async () => {
  const leader = await testApi();
  const store = await followTestStore(leader.store);
  const follower = createApiServer({ store, info: { version: 'test', hostname: 'follower' } });
  const s = await open(follower);
  const web = await createService(leader, spec('web'));
  const m = await s.next();
  assert.deepEqual([m?.Type, m?.Action, m?.Actor.ID], ['service', 'create', web.ID]);
  s.close();
  await follower.close();
  store.close();
  await leader.close();
});
