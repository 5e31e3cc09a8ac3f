import { test } from 'node:test';
import assert from 'node:assert/strict';
import { call, createService, filters, seedNode, seedTask, spec, testApi, type TestApi } from '../test-helpers.js';
import { ensureNetworks } from './networks.js';

async function createNetwork(api: TestApi, body: Record<string, unknown>): Promise<string> {
  const res = await call(api.app, 'POST', '/v1.41/networks/create', { Driver: 'overlay', ...body });
  assert.equal(res.status, 201, res.body.message);
  return res.body.Id;
}

test('create: an overlay network gets an ID, a /24 from the default pool, and the Engine’s answer shape', async () => {
  const api = await testApi();
  const res = await call(api.app, 'POST', '/v1.41/networks/create', {
    Name: 'backend',
    Driver: 'overlay',
    Attachable: true,
    Internal: true,
    Labels: { team: 'a' },
    Options: { encrypted: '' },
    CheckDuplicate: true,
  });
  assert.equal(res.status, 201);
  assert.deepEqual(Object.keys(res.body).sort(), ['Id', 'Warning']);
  assert.equal(res.body.Warning, '');
  const second = await createNetwork(api, { Name: 'frontend' });
  const [a, b] = api.store.view((tx) => [tx.networks.get(res.body.Id)!, tx.networks.get(second)!]);
  assert.deepEqual(a.IPAMOptions?.Configs, [{ Subnet: '10.0.0.0/24', Gateway: '10.0.0.1' }]);
  assert.deepEqual(b.IPAMOptions?.Configs, [{ Subnet: '10.0.1.0/24', Gateway: '10.0.1.1' }], 'allocated once, never twice the same');
  assert.equal(a.Spec.Internal, true);
  assert.equal(a.Spec.Attachable, true);
  assert.deepEqual(a.Spec.IPAMOptions, { Driver: { Name: 'default' } }, 'the spec keeps what was asked');
  await api.close();
});

test('create: a given subnet is kept, with its gateway defaulted; overlaps and bad IPAM are 400s', async () => {
  const api = await testApi();
  const id = await createNetwork(api, { Name: 'mine', IPAM: { Config: [{ Subnet: '172.28.0.0/16', IPRange: '172.28.5.0/24' }] } });
  assert.deepEqual(api.store.view((tx) => tx.networks.get(id)!.IPAMOptions?.Configs), [{ Subnet: '172.28.0.0/16', IPRange: '172.28.5.0/24', Gateway: '172.28.0.1' }]);
  const cases: [unknown, RegExp][] = [
    [{ Subnet: '172.28.3.0/24' }, /^ipam configuration: subnet 172.28.3.0\/24 overlaps subnet 172.28.0.0\/16 of network mine/],
    [{ Subnet: '10.300.0.0/24' }, /^ipam configuration: invalid subnet 10.300.0.0\/24/],
    [{ Subnet: '10.9.0.0/24', Gateway: '10.8.0.1' }, /^ipam configuration: subnet 10.9.0.0\/24 does not contain gateway 10.8.0.1$/],
    [{ Subnet: '10.9.0.0/24', IPRange: '10.9.1.0/25' }, /^ipam configuration: subnet 10.9.0.0\/24 does not contain range 10.9.1.0\/25$/],
    [{ Subnet: '10.9.0.0/30' }, /too small/],
    [{ Gateway: '10.9.0.1' }, /a subnet is required/],
  ];
  for (const [config, message] of cases) {
    const res = await call(api.app, 'POST', '/v1.41/networks/create', { Name: 'x', Driver: 'overlay', IPAM: { Config: [config] } });
    assert.equal(res.status, 400, JSON.stringify(config));
    assert.match(res.body.message, message);
  }
  assert.equal(api.store.view((tx) => tx.networks.count()), 1, 'nothing half-made');
  await api.close();
});

test('create: drivers, scopes and features Berth cannot provide are refused, saying what to do', async () => {
  const api = await testApi();
  const cases: [Record<string, unknown>, number, RegExp][] = [
    // The docker CLI sends bridge unless -d says otherwise.
    [{ Name: 'n', Driver: 'bridge' }, 400, /^network driver "bridge" is not available on a Berth swarm: .*create it with -d overlay \(docker network create -d overlay n\)$/],
    [{ Name: 'n', Driver: 'macvlan' }, 400, /-d overlay/],
    [{ Name: 'n', Driver: 'overlay', Scope: 'local' }, 400, /^invalid scope "local"/],
    [{ Name: 'n', Driver: 'overlay', Options: { 'com.docker.network.driver.mtu': 'big' } }, 400, /^invalid option com.docker.network.driver.mtu=big: the MTU of an overlay network is a number from 68 to 1450/],
    [{ Name: 'n', Driver: 'overlay', Options: { 'com.docker.network.driver.overlay.vxlanid_list': '0' } }, 400, /^invalid option com.docker.network.driver.overlay.vxlanid_list=0: give one VXLAN ID from 1 to 16777215/],
    [{ Name: 'n', Driver: 'overlay', Ingress: true, Attachable: true }, 400, /^ingress network cannot be attachable$/],
    [{ Name: 'n', Driver: 'overlay', EnableIPv6: true }, 501, /IPv6/],
    [{ Name: 'n', Driver: 'overlay', ConfigOnly: true }, 501, /config-only/],
    [{ Name: 'n', Driver: 'overlay', IPAM: { Driver: 'dhcp' } }, 400, /^IPAM driver "dhcp" is not available/],
    [{ Name: 'bridge', Driver: 'overlay' }, 403, /^bridge is a pre-defined network and cannot be created$/],
    [{ Name: '', Driver: 'overlay' }, 400, /Name is required/],
    [{ Name: 'bad.name', Driver: 'overlay' }, 400, /valid as a DNS name component/],
    [{ Name: 'n', Driver: 'overlay', Internal: 'yes' }, 400, /^invalid network create request: Internal must be true or false/],
  ];
  for (const [body, status, message] of cases) {
    const res = await call(api.app, 'POST', '/v1.41/networks/create', body);
    assert.equal(res.status, status, JSON.stringify(body));
    assert.match(res.body.message, message, JSON.stringify(body));
  }
  assert.equal(api.store.view((tx) => tx.networks.count()), 0);
  await api.close();
});

test('create: a duplicate name is a 409 in the Engine’s words', async () => {
  const api = await testApi();
  await createNetwork(api, { Name: 'backend' });
  const res = await call(api.app, 'POST', '/v1.41/networks/create', { Name: 'backend', Driver: 'overlay' });
  assert.equal(res.status, 409);
  assert.equal(res.body.message, 'network with name backend already exists');
  await api.close();
});

test('inspect: by ID, name or unique ID prefix, in the Engine’s network shape; ?scope=swarm accepted', async () => {
  const api = await testApi();
  const id = await createNetwork(api, { Name: 'backend', Attachable: true, Labels: { a: 'b' } });
  for (const ref of [id, 'backend', id.slice(0, 5), `backend?scope=swarm`]) {
    const res = await call(api.app, 'GET', `/v1.41/networks/${ref}`);
    assert.equal(res.status, 200, ref);
    assert.equal(res.body.Id, id);
  }
  const res = await call(api.app, 'GET', `/v1.41/networks/${id}`);
  const created = api.store.view((tx) => tx.networks.get(id)!);
  assert.deepEqual(res.body, {
    Name: 'backend',
    Id: id,
    Created: created.CreatedAt,
    Scope: 'swarm',
    Driver: 'overlay',
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: null, Config: [{ Subnet: '10.0.0.0/24', Gateway: '10.0.0.1' }] },
    Internal: false,
    Attachable: true,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: {},
    Options: { 'com.docker.network.driver.overlay.vxlanid_list': '4097' },
    Labels: { a: 'b' },
  });
  const missing = await call(api.app, 'GET', '/v1.41/networks/nope');
  assert.equal(missing.status, 404);
  assert.equal(missing.body.message, 'network nope not found');
  const local = await call(api.app, 'GET', '/v1.41/networks/backend?scope=local');
  assert.equal(local.status, 404, 'every Berth network is swarm-scoped');
  await api.close();
});

test('inspect: an ID prefix two networks share is ambiguous', async () => {
  const api = await testApi();
  // Names that no hex prefix can equal: a name match wins over an ID prefix.
  const ids = [await createNetwork(api, { Name: 'net-x' }), await createNetwork(api, { Name: 'net-y' })];
  // IDs are random; find a shared prefix (the empty prefix is not a lookup).
  let prefix = '';
  while (ids[0]![prefix.length] === ids[1]![prefix.length]) prefix += ids[0]![prefix.length];
  if (prefix) {
    const res = await call(api.app, 'GET', `/v1.41/networks/${prefix}`);
    assert.equal(res.status, 400);
    assert.match(res.body.message, /is ambiguous \(2 matches found\)/);
  }
  await api.close();
});

test('list: sorted by name, with the Engine’s filters (name and id by prefix)', async () => {
  const api = await testApi();
  const backend = await createNetwork(api, { Name: 'backend', Labels: { tier: 'db', team: 'a' } });
  await createNetwork(api, { Name: 'frontend', Labels: { tier: 'web' } });
  await createNetwork(api, { Name: 'back-office' });
  const names = async (f?: Record<string, string[]>): Promise<string[]> => {
    const res = await call(api.app, 'GET', `/v1.41/networks${f ? `?filters=${filters(f)}` : ''}`);
    assert.equal(res.status, 200, res.body.message);
    return res.body.map((n: { Name: string }) => n.Name);
  };
  assert.deepEqual(await names(), ['back-office', 'backend', 'frontend']);
  assert.deepEqual(await names({ name: ['back'] }), ['back-office', 'backend']);
  assert.deepEqual(await names({ id: [backend.slice(0, 6)] }), ['backend']);
  assert.deepEqual(await names({ label: ['tier'] }), ['backend', 'frontend']);
  assert.deepEqual(await names({ label: ['tier=db', 'team=a'] }), ['backend']);
  assert.deepEqual(await names({ driver: ['overlay'] }), ['back-office', 'backend', 'frontend']);
  assert.deepEqual(await names({ driver: ['bridge'] }), []);
  assert.deepEqual(await names({ scope: ['swarm'] }), ['back-office', 'backend', 'frontend']);
  assert.deepEqual(await names({ scope: ['local'] }), []);
  assert.deepEqual(await names({ type: ['custom'] }), ['back-office', 'backend', 'frontend']);
  assert.deepEqual(await names({ type: ['builtin'] }), []);
  const bad = await call(api.app, 'GET', `/v1.41/networks?filters=${filters({ type: ['other'] })}`);
  assert.equal(bad.status, 400);
  assert.equal(bad.body.message, "invalid filter 'type=other': use one of custom, builtin");
  const unknown = await call(api.app, 'GET', `/v1.41/networks?filters=${filters({ color: ['red'] })}`);
  assert.equal(unknown.status, 400);
  await api.close();
});

test('list: dangling tells networks no service uses from the others', async () => {
  const api = await testApi();
  await createNetwork(api, { Name: 'used' });
  await createNetwork(api, { Name: 'idle' });
  await createService(api, spec('web', { TaskTemplate: { ContainerSpec: { Image: 'i' }, Networks: [{ Target: 'used' }] } }));
  const names = async (v: string): Promise<string[]> =>
    (await call(api.app, 'GET', `/v1.41/networks?filters=${filters({ dangling: [v] })}`)).body.map((n: { Name: string }) => n.Name);
  assert.deepEqual(await names('true'), ['idle']);
  assert.deepEqual(await names('false'), ['used']);
  await api.close();
});

test('remove: refused while a service or a running task uses the network, naming it; then 204 and gone', async () => {
  const api = await testApi();
  const id = await createNetwork(api, { Name: 'backend' });
  const svc = await createService(api, spec('web', { TaskTemplate: { ContainerSpec: { Image: 'i' }, Networks: [{ Target: 'backend' }] } }));
  const inUse = await call(api.app, 'DELETE', '/v1.41/networks/backend');
  assert.equal(inUse.status, 400);
  assert.match(inUse.body.message, new RegExp(`^network backend \\(${id}\\) is in use by service web \\(${svc.ID}\\): remove the service, or detach it with docker service update --network-rm backend web, first$`));
  // The service left the network (docker service update --network-rm) but its old task still runs on it.
  const task = seedTask(api.store, svc);
  api.store.update((tx) => {
    tx.tasks.update({ ...tx.tasks.get(task.ID)!, NetworksAttachments: [{ Network: tx.networks.get(id)! }] });
    const s = tx.services.get(svc.ID)!;
    tx.services.update({ ...s, Spec: { ...s.Spec, TaskTemplate: { ...s.Spec.TaskTemplate, Networks: [] } } });
  });
  const byTask = await call(api.app, 'DELETE', `/v1.41/networks/${id.slice(0, 8)}`);
  assert.equal(byTask.status, 400);
  assert.match(byTask.body.message, new RegExp(`is in use by task ${task.ID} of service web`));
  // Once the service is removed its tasks are on their way out: the network goes at once, as
  // docker stack rm expects right after removing the stack's services.
  api.store.update((tx) => tx.services.delete(svc.ID));
  const ok = await call(api.app, 'DELETE', '/v1.41/networks/backend');
  assert.equal(ok.status, 204);
  assert.equal((await call(api.app, 'DELETE', '/v1.41/networks/backend')).status, 404);
  await api.close();
});

test('services: network targets by name, ID or prefix are stored as IDs; unknown ones are 404s', async () => {
  const api = await testApi();
  const id = await createNetwork(api, { Name: 'backend' });
  const svc = await createService(api, spec('web', { TaskTemplate: { ContainerSpec: { Image: 'i' }, Networks: [{ Target: 'backend', Aliases: ['db'] }] } }));
  assert.deepEqual(svc.Spec.TaskTemplate?.Networks, [{ Target: id, Aliases: ['db'] }]);
  const byPrefix = await createService(api, spec('api', { TaskTemplate: { ContainerSpec: { Image: 'i' }, Networks: [{ Target: id.slice(0, 6) }] } }));
  assert.deepEqual(byPrefix.Spec.TaskTemplate?.Networks, [{ Target: id }]);
  const missing = await call(api.app, 'POST', '/v1.41/services/create', spec('x', { TaskTemplate: { ContainerSpec: { Image: 'i' }, Networks: [{ Target: 'nope' }] } }));
  assert.equal(missing.status, 404);
  assert.equal(missing.body.message, 'network nope not found');
  const twice = await call(api.app, 'POST', '/v1.41/services/create', spec('y', { TaskTemplate: { ContainerSpec: { Image: 'i' }, Networks: [{ Target: 'backend' }, { Target: id }] } }));
  assert.equal(twice.status, 400);
  assert.match(twice.body.message, /names one network more than once/);
  assert.equal(api.store.view((tx) => tx.services.count()), 2);
  await api.close();
});

test('services: the deprecated Spec.Networks moves to TaskTemplate.Networks; a network change is a spec change', async () => {
  const api = await testApi();
  const backend = await createNetwork(api, { Name: 'backend' });
  const frontend = await createNetwork(api, { Name: 'frontend' });
  const svc = await createService(api, { ...spec('web'), Networks: [{ Target: 'backend' }] });
  assert.equal(svc.Spec.Networks, undefined);
  assert.deepEqual(svc.Spec.TaskTemplate?.Networks, [{ Target: backend }]);
  const both = await call(api.app, 'POST', '/v1.41/services/create', { ...spec('x', { TaskTemplate: { ContainerSpec: { Image: 'i' }, Networks: [{ Target: 'frontend' }] } }), Networks: [{ Target: 'backend' }] });
  assert.equal(both.status, 400);
  assert.match(both.body.message, /give them in TaskTemplate.Networks only/);

  // Sent back by name, the same network is no change: nothing is replaced.
  const same = await call(api.app, 'POST', `/v1.41/services/web/update?version=${svc.Version.Index}`, {
    ...svc.Spec,
    TaskTemplate: { ...svc.Spec.TaskTemplate, Networks: [{ Target: 'backend' }] },
  });
  assert.equal(same.status, 200, same.body.message);
  const unchanged = api.store.view((tx) => tx.services.get(svc.ID)!);
  assert.equal(unchanged.BerthSpecVersion, svc.BerthSpecVersion);
  const moved = await call(api.app, 'POST', `/v1.41/services/web/update?version=${unchanged.Version.Index}`, {
    ...svc.Spec,
    TaskTemplate: { ...svc.Spec.TaskTemplate, Networks: [{ Target: 'frontend' }] },
  });
  assert.equal(moved.status, 200, moved.body.message);
  const after = api.store.view((tx) => tx.services.get(svc.ID)!);
  assert.deepEqual(after.Spec.TaskTemplate?.Networks, [{ Target: frontend }]);
  assert.ok(after.BerthSpecVersion > svc.BerthSpecVersion, 'tasks are replaced by the updater');
  await api.close();
});

test('ingress: made once by the manager (ingress, 10.0.0.0/24 unless taken); --ingress only when none exists; not removable while a service publishes an ingress port', async () => {
  const api = await testApi();
  // The manager makes it when the cluster has none; 10.0.0.0/24 is taken here, so it gets the next /24.
  await createNetwork(api, { Name: 'first' });
  ensureNetworks(api.store);
  ensureNetworks(api.store);
  const all = (await call(api.app, 'GET', '/v1.41/networks')).body as { Name: string; Id: string; Ingress: boolean; Driver: string; Scope: string; IPAM: { Config: { Subnet: string }[] }; Options: Record<string, string>; Labels: Record<string, string> }[];
  assert.deepEqual(all.map((n) => n.Name), ['first', 'ingress'], 'made once');
  const ingress = all.find((n) => n.Name === 'ingress')!;
  assert.equal(ingress.Ingress, true);
  assert.equal(ingress.Driver, 'overlay');
  assert.equal(ingress.Scope, 'swarm');
  assert.deepEqual(ingress.IPAM.Config, [{ Subnet: '10.0.1.0/24', Gateway: '10.0.1.1' }]);
  assert.deepEqual(ingress.Labels, { 'com.docker.swarm.internal': 'true' });
  assert.deepEqual(all.map((n) => n.Options['com.docker.network.driver.overlay.vxlanid_list']), ['4097', '4098'], 'VXLAN IDs from 4097, unique');
  const builtin = await call(api.app, 'GET', `/v1.41/networks?filters=${filters({ type: ['builtin'] })}`);
  assert.deepEqual(builtin.body.map((n: { Name: string }) => n.Name), ['ingress'], 'Docker counts ingress as pre-defined');

  const again = await call(api.app, 'POST', '/v1.41/networks/create', { Name: 'ingress2', Driver: 'overlay', Ingress: true });
  assert.equal(again.status, 409);
  assert.match(again.body.message, new RegExp(`^ingress network \\(${ingress.Id}\\) is already present`));

  const svc = await call(api.app, 'POST', '/v1.41/services/create', { ...spec('web'), EndpointSpec: { Ports: [{ TargetPort: 80, PublishedPort: 8080 }] } });
  assert.equal(svc.status, 201, svc.body.message);
  const refused = await call(api.app, 'DELETE', '/v1.41/networks/ingress');
  assert.equal(refused.status, 400);
  assert.match(refused.body.message, new RegExp(`^ingress network cannot be removed because service ${svc.body.ID} depends on it`));
  const dangling = await call(api.app, 'GET', `/v1.41/networks?filters=${filters({ dangling: ['true'] })}`);
  assert.deepEqual(dangling.body.map((n: { Name: string }) => n.Name), ['first'], 'the ingress network is in use');
  await call(api.app, 'DELETE', `/v1.41/services/${svc.body.ID}`);
  assert.equal((await call(api.app, 'DELETE', '/v1.41/networks/ingress')).status, 204);

  // With none, a service publishing an ingress port is refused in Swarm's words; --ingress makes one.
  const none = await call(api.app, 'POST', '/v1.41/services/create', { ...spec('web'), EndpointSpec: { Ports: [{ TargetPort: 80, PublishedPort: 8080 }] } });
  assert.equal(none.status, 400);
  assert.match(none.body.message, /^service needs ingress network, but no ingress network is present/);
  const hostOnly = await call(api.app, 'POST', '/v1.41/services/create', { ...spec('h'), EndpointSpec: { Ports: [{ TargetPort: 80, PublishedPort: 9090, PublishMode: 'host' }] } });
  assert.equal(hostOnly.status, 201);
  const mine = await call(api.app, 'POST', '/v1.41/networks/create', { Name: 'mesh', Driver: 'overlay', Ingress: true, IPAM: { Config: [{ Subnet: '10.200.0.0/16' }] } });
  assert.equal(mine.status, 201, mine.body.message);
  assert.equal((await call(api.app, 'GET', '/v1.41/networks/mesh')).body.Ingress, true);
  await api.close();
});

test('create: --opt encrypted is kept, and shown beside the VXLAN ID; a VXLAN ID asked for must be free', async () => {
  const api = await testApi();
  const id = await createNetwork(api, { Name: 'secret', Options: { encrypted: '' } });
  const shown = await call(api.app, 'GET', `/v1.41/networks/${id}`);
  assert.deepEqual(shown.body.Options, { encrypted: '', 'com.docker.network.driver.overlay.vxlanid_list': '4097' });
  assert.deepEqual(api.store.view((tx) => tx.networks.get(id)!.Spec.DriverConfiguration), { Name: 'overlay', Options: { encrypted: '' } });
  const own = await createNetwork(api, { Name: 'own', Options: { 'com.docker.network.driver.overlay.vxlanid_list': '5000' } });
  assert.equal((await call(api.app, 'GET', `/v1.41/networks/${own}`)).body.Options['com.docker.network.driver.overlay.vxlanid_list'], '5000');
  const clash = await call(api.app, 'POST', '/v1.41/networks/create', { Name: 'dup', Driver: 'overlay', Options: { 'com.docker.network.driver.overlay.vxlanid_list': '4097' } });
  assert.equal(clash.status, 400);
  assert.match(clash.body.message, /^invalid option com.docker.network.driver.overlay.vxlanid_list=4097: network secret has that VXLAN ID/);
  await api.close();
});

test('tasks: NetworksAttachments are shown without Berth’s own fields, the network in Swarm’s shape', async () => {
  const api = await testApi();
  const id = await createNetwork(api, { Name: 'backend', IPAM: { Config: [{ Subnet: '172.28.0.0/16', IPRange: '172.28.5.0/24' }] } });
  const svc = await createService(api, spec('web'));
  const task = seedTask(api.store, svc);
  api.store.update((tx) => tx.tasks.update({ ...tx.tasks.get(task.ID)!, NetworksAttachments: [{ Network: tx.networks.get(id)!, BerthAliases: ['web'] }] }));
  const res = await call(api.app, 'GET', `/v1.41/tasks/${task.ID}`);
  assert.equal(res.body.NetworksAttachments.length, 1);
  assert.equal(res.body.NetworksAttachments[0].Network.ID, id);
  assert.equal(res.body.NetworksAttachments[0].BerthAliases, undefined);
  // moby's swarm.IPAMConfig calls the IP range Range (the Engine's network IPAM calls it IPRange).
  assert.deepEqual(res.body.NetworksAttachments[0].Network.IPAMOptions.Configs, [{ Subnet: '172.28.0.0/16', Range: '172.28.5.0/24', Gateway: '172.28.0.1' }]);
  assert.deepEqual(res.body.NetworksAttachments[0].Network.Spec.IPAMOptions.Configs, [{ Subnet: '172.28.0.0/16', Range: '172.28.5.0/24' }]);
  await api.close();
});

test('prune: removes the networks nothing uses (never ingress), with the Engine’s label, label! and until filters', async () => {
  const api = await testApi();
  ensureNetworks(api.store);
  const prune = (f?: Record<string, string[]>) => call(api.app, 'POST', `/v1.41/networks/prune${f ? `?filters=${filters(f)}` : ''}`);
  await createNetwork(api, { Name: 'used' });
  await createService(api, spec('web', { TaskTemplate: { ContainerSpec: { Image: 'i' }, Networks: [{ Target: 'used' }] } }));
  const held = await createNetwork(api, { Name: 'held' });
  const task = seedTask(api.store, await createService(api, spec('api')));
  api.store.update((tx) => tx.tasks.update({ ...tx.tasks.get(task.ID)!, NetworksAttachments: [{ Network: tx.networks.get(held)! }] }));
  const plain = await createNetwork(api, { Name: 'plain', Attachable: true });
  const node = seedNode(api.store, { hostname: 'worker-1' });
  api.store.update((tx) =>
    tx.nodes.update({ ...tx.nodes.get(node.ID)!, BerthAttachments: [{ NetworkID: plain, ContainerID: 'c1', Name: 'adhoc', Address: '10.0.3.5', MacAddress: '02:42:0a:00:03:05' }] }),
  );
  await createNetwork(api, { Name: 'idle-a', Labels: { team: 'a' } });
  await createNetwork(api, { Name: 'idle-b', Labels: { team: 'b' } });
  const old = await createNetwork(api, { Name: 'old' });
  api.store.update((tx) => tx.networks.update({ ...tx.networks.get(old)!, CreatedAt: new Date(Date.now() - 2 * 86_400_000).toISOString() }));
  const names = () => api.store.view((tx) => tx.networks.list().map((n) => n.Spec.Name).sort());

  const bad = await prune({ dangling: ['true'] });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.message, "invalid filter 'dangling'");
  const badUntil = await prune({ until: ['yesterday'] });
  assert.equal(badUntil.status, 400);
  assert.match(badUntil.body.message, /^invalid filter 'until=yesterday': failed to parse value as time or duration/);
  assert.equal((await prune({ until: ['1h', '2h'] })).status, 400);

  assert.deepEqual((await prune({ label: ['team=a'] })).body, { NetworksDeleted: ['idle-a'] });
  assert.deepEqual((await prune({ until: ['24h'] })).body, { NetworksDeleted: ['old'] }, 'only networks created before 24h ago');
  assert.deepEqual((await prune({ until: [new Date(Date.now() - 3_600_000).toISOString()] })).body, { NetworksDeleted: null });
  assert.deepEqual((await prune({ 'label!': ['team=b'] })).body, { NetworksDeleted: null }, 'label! keeps what it matches');
  const all = await prune();
  assert.equal(all.status, 200);
  assert.deepEqual(all.body, { NetworksDeleted: ['idle-b'] });
  assert.deepEqual(names(), ['held', 'ingress', 'plain', 'used'], 'in use by a service, a running task, a plain container; and ingress');
  assert.deepEqual((await prune()).body, { NetworksDeleted: null }, 'nothing deleted is null, as the Engine answers');
  await api.close();
});

test('services: a rollback to a spec whose network was removed meanwhile is refused, naming it', async () => {
  const api = await testApi();
  const old = await createNetwork(api, { Name: 'old' });
  await createNetwork(api, { Name: 'new' });
  const svc = await createService(api, spec('web', { TaskTemplate: { ContainerSpec: { Image: 'i' }, Networks: [{ Target: 'old' }] } }));
  const moved = await call(api.app, 'POST', `/v1.41/services/web/update?version=${svc.Version.Index}`, spec('web', { TaskTemplate: { ContainerSpec: { Image: 'i' }, Networks: [{ Target: 'new' }] } }));
  assert.equal(moved.status, 200, moved.body.message);
  // Only the previous spec names it, so it may go.
  assert.equal((await call(api.app, 'DELETE', '/v1.41/networks/old')).status, 204);
  const version = api.store.view((tx) => tx.services.get(svc.ID)!.Version.Index);
  const rollback = await call(api.app, 'POST', `/v1.41/services/web/update?version=${version}&rollback=previous`, {});
  assert.equal(rollback.status, 404);
  assert.equal(rollback.body.message, `network ${old} not found`);
  await api.close();
});
