import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Cluster } from '../../types/index.js';
import { ensureCluster } from '../../manager/bootstrap.js';
import { ensureManagerNode } from '../../manager/manager-node.js';
import type { ApiServerOptions } from '../server.js';
import { TEST_ROOT_CERT } from '../../../test/helpers/objects.js';
import { call, testApi, type TestApi } from '../test-helpers.js';

/** An API over a store holding the cluster object a manager creates on its first start. */
async function withCluster(extra: Partial<ApiServerOptions> = {}): Promise<TestApi & { cluster: () => Cluster }> {
  const api = await testApi(extra);
  ensureCluster(api.store, { rootCert: TEST_ROOT_CERT });
  return { ...api, cluster: () => api.store.view((tx) => tx.cluster()!) };
}

async function update(api: TestApi, version: number, spec: unknown, flags = '') {
  return call(api.app, 'POST', `/v1.41/swarm/update?version=${version}${flags}`, spec);
}

test('GET /swarm is the Engine Swarm object: ClusterInfo plus the join tokens; /info shows it without them', async () => {
  const api = await withCluster();
  const stored = api.cluster();
  const res = await call(api.app, 'GET', '/v1.41/swarm');
  assert.equal(res.status, 200);
  assert.equal(res.body.ID, stored.ID);
  assert.deepEqual(res.body.Version, stored.Version);
  assert.ok(res.body.CreatedAt && res.body.UpdatedAt);
  assert.deepEqual(res.body.Spec, stored.Spec);
  assert.equal(res.body.Spec.Orchestration.TaskHistoryRetentionLimit, 5);
  assert.equal(res.body.Spec.Dispatcher.HeartbeatPeriod, 2e9);
  assert.deepEqual(res.body.JoinTokens, stored.JoinTokens);
  assert.match(res.body.JoinTokens.Worker, /^SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}$/);
  assert.equal(res.body.TLSInfo.TrustRoot, TEST_ROOT_CERT, 'the root CA, as `docker swarm ca` prints it');
  assert.equal(Buffer.from(res.body.TLSInfo.CertIssuerSubject, 'base64').includes('swarm-ca'), true);
  assert.equal(res.body.RootRotationInProgress, false);
  assert.equal(res.body.DataPathPort, 4789);
  assert.deepEqual(res.body.DefaultAddrPool, ['10.0.0.0/8']);
  assert.equal(res.body.SubnetSize, 24);

  const info = (await call(api.app, 'GET', '/v1.41/info')).body.Swarm.Cluster;
  const { JoinTokens: _tokens, ...clusterInfo } = res.body;
  assert.deepEqual(info, clusterInfo);
  await api.close();
});

test('without a cluster object /swarm answers 503, as the Engine does outside a swarm', async () => {
  const api = await testApi();
  for (const url of ['/v1.41/swarm', '/v1.41/swarm/unlockkey']) {
    const res = await call(api.app, 'GET', url);
    assert.equal(res.status, 503, url);
    assert.match(res.body.message, /no swarm yet/);
  }
  await api.close();
});

test('update applies the task history limit, heartbeat period and labels; the rest of the spec is kept', async () => {
  const api = await withCluster();
  const before = api.cluster();
  // The CLI sends back the spec it inspected with its flags merged in.
  const spec = {
    ...before.Spec,
    Labels: { team: 'ops' },
    Orchestration: { TaskHistoryRetentionLimit: 2 },
    Dispatcher: { HeartbeatPeriod: 10e9 },
    Raft: { ...before.Spec.Raft, SnapshotInterval: 5000 },
  };
  const res = await update(api, before.Version.Index, spec, '&rotateWorkerToken=false&rotateManagerToken=false&rotateManagerUnlockKey=false');
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const after = api.cluster();
  assert.equal(after.Spec.Orchestration.TaskHistoryRetentionLimit, 2);
  assert.equal(after.Spec.Dispatcher.HeartbeatPeriod, 10e9);
  assert.deepEqual(after.Spec.Labels, { team: 'ops' });
  assert.equal(after.Spec.Raft?.SnapshotInterval, 5000, 'Raft settings are kept as given');
  assert.deepEqual(after.Spec.CAConfig, before.Spec.CAConfig);
  assert.deepEqual(after.JoinTokens, before.JoinTokens, 'no rotation asked');
  assert.ok(after.Version.Index > before.Version.Index);

  // As in the Engine, absent fields and a zero heartbeat keep the current values.
  assert.equal((await update(api, after.Version.Index, { Dispatcher: { HeartbeatPeriod: 0 } })).status, 200);
  const kept = api.cluster();
  assert.equal(kept.Spec.Dispatcher.HeartbeatPeriod, 10e9);
  assert.equal(kept.Spec.Orchestration.TaskHistoryRetentionLimit, 2);
  assert.deepEqual(kept.Spec.Labels, { team: 'ops' });
  await api.close();
});

test('update needs the current version: stale is a 409 "update out of sequence", missing a 400; nothing is written', async () => {
  const api = await withCluster();
  const before = api.cluster();
  const stale = await update(api, before.Version.Index - 1, { Orchestration: { TaskHistoryRetentionLimit: 1 } });
  assert.equal(stale.status, 409);
  assert.match(stale.body.message, /^update out of sequence: cluster /);
  const missing = await call(api.app, 'POST', '/v1.41/swarm/update', {});
  assert.equal(missing.status, 400);
  assert.match(missing.body.message, /missing version: send \?version= with the swarm's current Version\.Index/);
  assert.deepEqual(api.cluster(), before);
  await api.close();
});

test('token rotation replaces only the token asked for', async () => {
  const api = await withCluster();
  const first = api.cluster();
  assert.equal((await update(api, first.Version.Index, first.Spec, '&rotateWorkerToken=true')).status, 200);
  const second = api.cluster();
  assert.notEqual(second.JoinTokens.Worker, first.JoinTokens.Worker);
  assert.match(second.JoinTokens.Worker, /^SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}$/);
  assert.equal(second.JoinTokens.Manager, first.JoinTokens.Manager);
  assert.deepEqual(second.Spec, first.Spec);

  assert.equal((await update(api, second.Version.Index, second.Spec, '&rotateManagerToken=1')).status, 200);
  const third = api.cluster();
  assert.notEqual(third.JoinTokens.Manager, second.JoinTokens.Manager);
  assert.equal(third.JoinTokens.Worker, second.JoinTokens.Worker);
  await api.close();
});

test('out-of-range settings are 400s that name the field, the bounds and the value', async () => {
  const api = await withCluster();
  const before = api.cluster();
  const cases: Array<[unknown, RegExp]> = [
    [{ Dispatcher: { HeartbeatPeriod: 1e6 } }, /^invalid SwarmSpec: Dispatcher\.HeartbeatPeriod must be between 1s and 1h \(got 1ms\)$/],
    [{ Dispatcher: { HeartbeatPeriod: 7200e9 } }, /between 1s and 1h \(got 2h\)$/],
    [{ Dispatcher: { HeartbeatPeriod: -1 } }, /^invalid SwarmSpec: Dispatcher\.HeartbeatPeriod must be at least 0 nanoseconds \(got -1\)$/],
    [{ Dispatcher: { HeartbeatPeriod: '5s' } }, /Dispatcher\.HeartbeatPeriod must be a whole number of nanoseconds/],
    [{ Orchestration: { TaskHistoryRetentionLimit: -1 } }, /TaskHistoryRetentionLimit must be between 0 and 1000 \(got -1\): Berth does not keep unlimited task history$/],
    [{ Orchestration: { TaskHistoryRetentionLimit: 1001 } }, /TaskHistoryRetentionLimit must be between 0 and 1000 \(got 1001\)$/],
    [{ Labels: { a: 1 } }, /Labels\.a must be a string/],
    [{ Name: 'other' }, /the swarm is named "default" and can't be renamed to "other"/],
    ['[]', /the request body must be an object/],
  ];
  for (const [body, message] of cases) {
    const res = await update(api, before.Version.Index, body);
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.match(res.body.message, message);
  }
  assert.deepEqual(api.cluster(), before);
  await api.close();
});

test('what Berth cannot honour yet is a 501, never stored', async () => {
  const api = await withCluster();
  const before = api.cluster();
  const cases: Array<[unknown, string, RegExp]> = [
    [{ CAConfig: { ExternalCAs: [{ Protocol: 'cfssl', URL: 'https://ca.example' }] } }, '', /^external CAs are not supported yet/],
    [{ CAConfig: { SigningCACert: 'PEM' } }, '', /signing CA certificate or key can't be set yet/],
    [{ TaskDefaults: { LogDriver: { Name: 'journald' } } }, '', /default log driver is not supported yet: set the log driver on each service/],
  ];
  for (const [body, flags, message] of cases) {
    const res = await update(api, before.Version.Index, body, flags);
    assert.equal(res.status, 501, JSON.stringify(body) + flags);
    assert.match(res.body.message, message);
  }
  // Explicit defaults are fine: the CLI sends them back on every update.
  const defaults = { EncryptionConfig: { AutoLockManagers: false }, CAConfig: { ForceRotate: 0, ExternalCAs: [] }, TaskDefaults: {} };
  assert.equal((await update(api, before.Version.Index, defaults)).status, 200);
  assert.deepEqual(api.cluster().Spec, before.Spec);
  const negative = await update(api, api.cluster().Version.Index, { CAConfig: { ForceRotate: -1 } });
  assert.equal(negative.status, 400);
  assert.match(negative.body.message, /CAConfig\.ForceRotate must be at least 0/);
  await api.close();
});

test('autolock: on stores a key GET /swarm/unlockkey shows, rotation replaces it, off removes it; refused updates change no key', async () => {
  const api = await withCluster();
  const key = async (): Promise<string> => (await call(api.app, 'GET', '/v1.41/swarm/unlockkey')).body.UnlockKey;
  const stored = () => api.store.view((tx) => tx.managerUnlockKeys.list().map((k) => k.Key));
  assert.equal(await key(), '');
  const stale = await update(api, api.cluster().Version.Index - 1, { EncryptionConfig: { AutoLockManagers: true } });
  assert.equal(stale.status, 409);
  assert.deepEqual(stored(), [], 'a refused update stores no key');
  const noRotation = await update(api, api.cluster().Version.Index, api.cluster().Spec, '&rotateManagerUnlockKey=true');
  assert.equal(noRotation.status, 400);
  assert.match(noRotation.body.message, /^cannot rotate the manager unlock key because autolock is not turned on/);

  assert.equal((await update(api, api.cluster().Version.Index, { ...api.cluster().Spec, EncryptionConfig: { AutoLockManagers: true } })).status, 200);
  const first = await key();
  assert.match(first, /^SWMKEY-1-[A-Za-z0-9+/]{43}$/);
  assert.equal(api.cluster().Spec.EncryptionConfig?.AutoLockManagers, true);
  assert.deepEqual(stored(), [first]);
  // The CLI sends the whole spec back on every update: that keeps the key.
  assert.equal((await update(api, api.cluster().Version.Index, { ...api.cluster().Spec, Labels: { a: 'b' } })).status, 200);
  assert.equal(await key(), first);

  assert.equal((await update(api, api.cluster().Version.Index, api.cluster().Spec, '&rotateManagerUnlockKey=true')).status, 200);
  const second = await key();
  assert.notEqual(second, first);
  assert.deepEqual(stored(), [second]);

  assert.equal((await update(api, api.cluster().Version.Index, { EncryptionConfig: { AutoLockManagers: false } })).status, 200);
  assert.equal(await key(), '');
  assert.equal(api.cluster().Spec.EncryptionConfig?.AutoLockManagers, false);
  assert.deepEqual(stored(), []);
  await api.close();
});

test('unlock key, unlock, init, join and leave answer as a manager without autolock that always is in its swarm', async () => {
  const api = await withCluster();
  const key = await call(api.app, 'GET', '/v1.41/swarm/unlockkey');
  assert.equal(key.status, 200);
  assert.deepEqual(key.body, { UnlockKey: '' });
  const unlock = await call(api.app, 'POST', '/v1.41/swarm/unlock', { UnlockKey: 'SWMKEY-1-AAAA' });
  assert.equal(unlock.status, 409);
  assert.deepEqual(unlock.body, { message: 'swarm is not locked' });

  const init = await call(api.app, 'POST', '/v1.41/swarm/init', { ListenAddr: '0.0.0.0:2377' });
  assert.equal(init.status, 503);
  assert.match(init.body.message, /^This node is already part of a swarm: .*berth swarm join --token TOKEN HOST:2377/);
  const join = await call(api.app, 'POST', '/v1.41/swarm/join', { RemoteAddrs: ['x:2377'], JoinToken: 't' });
  assert.equal(join.status, 503);
  assert.match(join.body.message, /^This node is already part of a swarm: it is the Berth manager/);
  const leave = await call(api.app, 'POST', '/v1.41/swarm/leave?force=1');
  assert.equal(leave.status, 400);
  assert.match(leave.body.message, /stop it with Ctrl-C/);
  assert.match(leave.body.message, /docker node rm NODE/);
  await api.close();
});

test('with several managers (etcd), a root rotation is refused, naming why; autolock and the rest of an update go through', async () => {
  const api = await withCluster();
  for (const [id, addr] of [['m1', '10.0.0.1:2377'], ['m2', '10.0.0.2:2377']]) ensureManagerNode(api.store, { id: id!, hostname: id!, clusterAddr: addr! });
  const spec = api.cluster().Spec;
  const rotate = await update(api, api.cluster().Version.Index, { ...spec, CAConfig: { ...spec.CAConfig, ForceRotate: 1 } });
  assert.equal(rotate.status, 400);
  assert.match(rotate.body.message, /^can't rotate the root CA with 2 managers yet: the next root's key would stay on one of them/);
  assert.equal(api.cluster().Spec.CAConfig?.ForceRotate ?? 0, 0, 'nothing was written');
  const labels = await update(api, api.cluster().Version.Index, { ...spec, Labels: { env: 'ha' }, EncryptionConfig: { AutoLockManagers: true } });
  assert.equal(labels.status, 200);
  assert.equal(api.cluster().Spec.EncryptionConfig?.AutoLockManagers, true);
});
