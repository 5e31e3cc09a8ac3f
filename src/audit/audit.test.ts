import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../common/log.js';
import { ensureCluster } from '../manager/bootstrap.js';
import { createApiServer } from '../api/index.js';
import { call } from '../api/test-helpers.js';
import { openTestStore } from '../../test/helpers/store.js';
import { TEST_ROOT_CERT } from '../../test/helpers/objects.js';
import { auditRoutes, AuditRetention, recordAudit, type AuditEntry } from './index.js';
import { timeParam } from './routes.js';

const SERVICE = { Name: 'web', TaskTemplate: { ContainerSpec: { Image: 'nginx:1.27', Env: ['MODE=blue'] } }, Mode: { Replicated: { Replicas: 3 } } };

/** An API over a fresh store with the audit hooks and route, as the manager wires them. */
async function auditedApi() {
  const store = await openTestStore();
  const app = createApiServer({ store, info: { version: 'test', hostname: 'mgr', nodeId: () => undefined }, hooks: (a) => recordAudit(a, store, silentLogger(), (request) => ({ User: 'anonymous', Auth: 'insecure-api', Source: request.ip })), plugins: [(scope) => auditRoutes(scope, store)] });
  ensureCluster(store, { rootCert: TEST_ROOT_CERT });
  return { store, app, close: async () => (await app.close(), store.close()) };
}

const log = async (api: Awaited<ReturnType<typeof auditedApi>>, query = ''): Promise<AuditEntry[]> => {
  const res = await call<AuditEntry[]>(api.app, 'GET', `/berth/v1/audit${query}`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
};

test('every change is an entry: who, from where, the action, the object and what changed field by field; reads are not', async () => {
  const api = await auditedApi();
  try {
    const created = await call(api.app, 'POST', '/v1.41/services/create', SERVICE);
    assert.equal(created.status, 201);
    const id = created.body.ID as string;
    const version = api.store.view((tx) => tx.services.get(id)!.Version.Index);
    const scaled = await call(api.app, 'POST', `/v1.41/services/web/update?version=${version}`, { ...SERVICE, Mode: { Replicated: { Replicas: 0 } } });
    assert.equal(scaled.status, 200);
    await call(api.app, 'GET', '/v1.41/services');
    assert.equal((await call(api.app, 'DELETE', `/v1.41/services/${id}`)).status, 200);

    const [removed, update, create] = await log(api);
    assert.equal((await log(api)).length, 3, 'GETs are not recorded');
    assert.deepEqual(
      { User: update!.User, Auth: update!.Auth, Source: update!.Source, Action: update!.Action, Method: update!.Method, Object: update!.Object, Status: update!.Status },
      { User: 'anonymous', Auth: 'insecure-api', Source: '127.0.0.1', Action: 'service.update', Method: 'POST', Object: { Kind: 'service', ID: id, Name: 'web' }, Status: 200 },
    );
    assert.ok(update!.Path.endsWith('/services/web/update') && !update!.Path.includes('version'), 'the path without its query');
    assert.deepEqual(update!.Changes?.find((c) => c.Path === 'Spec.Mode.Replicated.Replicas'), { Path: 'Spec.Mode.Replicated.Replicas', Old: 3, New: 0 });
    assert.equal(create!.Action, 'service.create');
    assert.deepEqual(create!.Object, { Kind: 'service', ID: id, Name: 'web' });
    assert.equal((create!.Changes![0]!.New as { Spec: { Name: string } }).Spec.Name, 'web', 'a create records the object whole');
    assert.equal(removed!.Action, 'service.delete');
    assert.deepEqual(removed!.Object, { Kind: 'service', ID: id, Name: 'web' });
  } finally {
    await api.close();
  }
});

test('refusals are entries with their status and message; secret data never appears, not even on create', async () => {
  const api = await auditedApi();
  try {
    const data = Buffer.from('hunter2-in-the-clear').toString('base64');
    assert.equal((await call(api.app, 'POST', '/v1.41/secrets/create', { Name: 'db-pass', Data: data })).status, 201);
    const bad = await call(api.app, 'POST', '/v1.41/services/create', { Name: 'bad name!', TaskTemplate: { ContainerSpec: { Image: 'x' } } });
    assert.equal(bad.status, 400);
    const first = api.store.view((tx) => tx.cluster()!.Version.Index);
    assert.equal((await call(api.app, 'POST', `/v1.41/swarm/update?version=${first}`, { Labels: { a: 'b' } })).status, 200);
    const stale = await call(api.app, 'POST', `/v1.41/swarm/update?version=${first}`, {});
    assert.equal(stale.status, 409);
    const entries = await log(api);
    assert.ok(!JSON.stringify(entries).includes(data) && !JSON.stringify(entries).includes('hunter2'), 'no secret data');
    const secret = entries.find((e) => e.Action === 'secret.create')!;
    assert.equal((secret.Changes![0]!.New as { Spec: { Data: string } }).Spec.Data, '<redacted>');
    const refused = entries.find((e) => e.Action === 'service.create')!;
    assert.equal(refused.Status, 400);
    assert.equal(refused.Error, bad.body.message);
    assert.equal(refused.Changes, undefined);
    const swarm = entries.find((e) => e.Action === 'swarm.update')!;
    assert.equal(swarm.Status, 409);
    assert.match(swarm.Error!, /update out of sequence/);
  } finally {
    await api.close();
  }
});

test('filters: user, object by name or ID prefix, action or kind, since and until, limit; bad values are 400s naming the parameter', async () => {
  const api = await auditedApi();
  try {
    const a = await call(api.app, 'POST', '/v1.41/services/create', { ...SERVICE, Name: 'alpha' });
    await call(api.app, 'POST', '/v1.41/services/create', { ...SERVICE, Name: 'beta' });
    await call(api.app, 'POST', '/v1.41/networks/create', { Name: 'backend', Driver: 'overlay' });
    assert.deepEqual((await log(api, '?object=alpha')).map((e) => e.Object?.Name), ['alpha']);
    assert.deepEqual((await log(api, `?object=${(a.body.ID as string).slice(0, 6)}`)).map((e) => e.Object?.Name), ['alpha']);
    assert.deepEqual((await log(api, '?action=service')).map((e) => e.Object?.Name), ['beta', 'alpha']);
    assert.deepEqual((await log(api, '?action=network.create')).map((e) => e.Object?.Name), ['backend']);
    assert.equal((await log(api, '?user=anonymous&limit=2')).length, 2);
    assert.equal((await log(api, '?user=alice')).length, 0);
    assert.equal((await log(api, '?since=1h')).length, 3);
    assert.equal((await log(api, `?until=${encodeURIComponent('2020-01-01T00:00:00Z')}`)).length, 0);
    for (const [query, message] of [['?since=yesterday', /^invalid since "yesterday": give an RFC 3339 time/], ['?limit=0', /^invalid limit "0"/], ['?limit=5000', /from 1 to 1000/]] as const) {
      const res = await call(api.app, 'GET', `/berth/v1/audit${query}`);
      assert.equal(res.status, 400, query);
      assert.match(res.body.message, message);
    }
  } finally {
    await api.close();
  }
});

test('pages: before=ID continues after that entry, in the same order, unshifted by newer entries; an unknown ID is a 400', async () => {
  const api = await auditedApi();
  try {
    // Five entries at one instant: the cursor must order ties, not only times.
    api.store.update((tx) => {
      for (const id of ['a', 'b', 'c', 'd', 'e']) tx.auditEntries.create({ ID: id, Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Time: '2026-01-01T00:00:00.000Z', User: 'u', Auth: 'unix-socket', Source: 'local', Action: 'service.update', Method: 'POST', Path: '/x', Status: 200 });
    });
    const first = await log(api, '?limit=2');
    assert.deepEqual(first.map((e) => e.ID), ['e', 'd']);
    await call(api.app, 'POST', '/v1.41/networks/create', { Name: 'newer', Driver: 'overlay' });
    assert.deepEqual((await log(api, `?limit=2&before=${first[1]!.ID}`)).map((e) => e.ID), ['c', 'b']);
    assert.deepEqual((await log(api, '?limit=2&before=b')).map((e) => e.ID), ['a']);
    assert.deepEqual((await log(api, '?before=e&action=network')).map((e) => e.ID), [], 'filters apply with the cursor');
    const res = await call(api.app, 'GET', '/berth/v1/audit?before=gone');
    assert.equal(res.status, 400);
    assert.match(res.body.message, /^invalid before "gone": no entry has that ID/);
  } finally {
    await api.close();
  }
});

test('an entry keeps at most 16 KiB of values: a larger one is noted with its size, the rest of the change stays', async () => {
  const api = await auditedApi();
  try {
    const env = Array.from({ length: 400 }, (_, i) => `VAR_${i}=${'x'.repeat(100)}`);
    assert.equal((await call(api.app, 'POST', '/v1.41/services/create', { ...SERVICE, TaskTemplate: { ContainerSpec: { Image: 'nginx:1.27', Env: env } } })).status, 201);
    const [entry] = await log(api);
    assert.ok(JSON.stringify(entry!.Changes).length < 20 * 1024, `the entry is small (${JSON.stringify(entry!.Changes).length} bytes)`);
    assert.match(entry!.Changes![0]!.New as string, /^<\d+ bytes, not recorded>$/);
  } finally {
    await api.close();
  }
});

test('timeParam takes RFC 3339, Unix seconds and durations before now', () => {
  assert.equal(timeParam('since', '2026-12-01T09:00:00Z'), '2026-12-01T09:00:00.000Z');
  assert.equal(timeParam('since', '1700000000'), new Date(1700000000 * 1000).toISOString());
  const ago = Date.parse(timeParam('since', '1h30m'));
  assert.ok(Math.abs(Date.now() - 90 * 60_000 - ago) < 5_000);
});

test('retention: entries past the retention period and beyond the cap go, oldest first', async () => {
  const api = await auditedApi();
  const stop = new AbortController();
  try {
    const add = (time: string, n: number) =>
      api.store.update((tx) => {
        for (let i = 0; i < n; i++) tx.auditEntries.create({ ID: `${time}-${i}`, Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Time: time, User: 'u', Auth: 'unix-socket', Source: 'local', Action: 'service.update', Method: 'POST', Path: '/x', Status: 200 });
      });
    add('2020-01-01T00:00:00.000Z', 3);
    add(new Date(Date.now() - 60_000).toISOString(), 4);
    add(new Date().toISOString(), 2);
    const loop = new AuditRetention(api.store, 3600_000, silentLogger(), 5).run(stop.signal);
    for (let i = 0; i < 100 && api.store.view((tx) => tx.auditEntries.count()) !== 5; i++) await new Promise((r) => setTimeout(r, 20));
    const left = api.store.view((tx) => tx.auditEntries.list().map((e) => e.ID).sort());
    assert.equal(left.length, 5, 'the cap');
    assert.ok(left.every((id) => !id.startsWith('2020')), 'the expired ones went first');
    stop.abort();
    await loop;
  } finally {
    stop.abort();
    await api.close();
  }
});
