import { test } from 'node:test';
import assert from 'node:assert/strict';
import { call, createService, filters, seedNode, seedTask, spec, testApi } from '../test-helpers.js';
import { ensureNetworks } from './networks.js';

test('create: 201 with the ID; the stored service carries its spec version and endpoint', async () => {
  const api = await testApi();
  ensureNetworks(api.store);
  const res = await call(api.app, 'POST', '/v1.41/services/create', {
    ...spec('web'),
    Mode: { Replicated: { Replicas: 3 } },
    EndpointSpec: { Mode: 'vip', Ports: [{ TargetPort: 80, PublishedPort: 8080 }, { TargetPort: 9000, PublishedPort: 9000, PublishMode: 'host', Protocol: 'udp' }] },
  });
  assert.equal(res.status, 201);
  assert.deepEqual(res.body.Warnings, [], 'ingress ports go through the routing mesh: nothing to warn of');
  assert.match(res.body.ID, /^[0-9a-z]{25}$/);
  const svc = api.store.view((tx) => tx.services.get(res.body.ID)!);
  assert.equal(svc.Spec.Name, 'web');
  assert.equal(svc.BerthSpecVersion, svc.Version.Index, 'the spec version is the commit that wrote it');
  assert.deepEqual(svc.Endpoint, {
    Spec: {
      Mode: 'vip',
      Ports: [
        { Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' },
        { Protocol: 'udp', TargetPort: 9000, PublishedPort: 9000, PublishMode: 'host' },
      ],
    },
    Ports: [
      { Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' },
      { Protocol: 'udp', TargetPort: 9000, PublishedPort: 9000, PublishMode: 'host' },
    ],
  });
  await api.close();
});

test('create: a nameless service gets a Docker-style name; the mode defaults to one replica', async () => {
  const api = await testApi();
  const svc = await createService(api, { TaskTemplate: { ContainerSpec: { Image: 'busybox' } } });
  assert.match(svc.Spec.Name!, /^[a-z]+_[a-z]+$/);
  assert.deepEqual(svc.Spec.Mode, { Replicated: { Replicas: 1 } });
  await api.close();
});

test('create: duplicate name is a 409; validation errors are 400 and nothing is stored', async () => {
  const api = await testApi();
  await createService(api, spec('web'));
  const dup = await call(api.app, 'POST', '/v1.41/services/create', spec('web'));
  assert.equal(dup.status, 409);
  assert.equal(dup.body.message, 'service web already exists');
  const bad = await call(api.app, 'POST', '/v1.41/services/create', { ...spec('api'), Mode: { Replicated: { Replicas: 'three' } } });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.message, 'invalid ServiceSpec: Mode.Replicated.Replicas must be an integer between 0 and 100000 (got "three")');
  assert.equal(api.store.view((tx) => tx.services.count()), 1);
  await api.close();
});

test('published ports: an ingress port is unique in the cluster; host ports may share a number; ingress 0 gets a port from 30000 up', async () => {
  const api = await testApi();
  ensureNetworks(api.store);
  await createService(api, { ...spec('a'), EndpointSpec: { Ports: [{ TargetPort: 80, PublishedPort: 8080 }] } });
  const clash = await call(api.app, 'POST', '/v1.41/services/create', { ...spec('b'), EndpointSpec: { Ports: [{ TargetPort: 81, PublishedPort: 8080, PublishMode: 'host' }] } });
  assert.equal(clash.status, 400);
  assert.match(clash.body.message, /^port 8080 is already in use by service a \(/);
  // Another protocol is another port.
  await createService(api, { ...spec('u'), EndpointSpec: { Ports: [{ TargetPort: 81, PublishedPort: 8080, Protocol: 'udp' }] } });
  await createService(api, { ...spec('h1'), EndpointSpec: { Ports: [{ TargetPort: 80, PublishedPort: 9090, PublishMode: 'host' }] } });
  await createService(api, { ...spec('h2'), EndpointSpec: { Ports: [{ TargetPort: 80, PublishedPort: 9090, PublishMode: 'host' }] } });

  // An ingress port published as 0 gets the first free port of Swarm's dynamic range, kept by
  // updates; a host-mode 0 is left for each node's engine to choose and never conflicts.
  const dyn = await createService(api, { ...spec('dyn'), EndpointSpec: { Ports: [{ TargetPort: 80 }] } });
  assert.deepEqual(dyn.Endpoint?.Ports, [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 30000, PublishMode: 'ingress' }]);
  const dyn2 = await createService(api, { ...spec('dyn2'), EndpointSpec: { Ports: [{ TargetPort: 80 }, { TargetPort: 81, PublishMode: 'host' }] } });
  assert.deepEqual(dyn2.Endpoint?.Ports?.map((p) => p.PublishedPort), [30001, 0]);
  // The allocator writes the virtual IPs: an update carries them over untouched.
  const vips = [{ NetworkID: 'n1', Addr: '10.0.0.2/24' }];
  const withVips = api.store.update((tx) => tx.services.update({ ...dyn2, Endpoint: { ...dyn2.Endpoint, VirtualIPs: vips } }));
  const relabel = await call(api.app, 'POST', `/v1.41/services/dyn2/update?version=${withVips.Version.Index}`, { ...dyn2.Spec, Labels: { v: '2' } });
  assert.equal(relabel.status, 200, relabel.body.message);
  const relabelled = api.store.view((tx) => tx.services.byName('dyn2')!);
  assert.deepEqual(relabelled.Endpoint?.Ports?.map((p) => p.PublishedPort), [30001, 0]);
  assert.deepEqual(relabelled.Endpoint?.VirtualIPs, vips);
  const explicit = await call(api.app, 'POST', '/v1.41/services/create', { ...spec('e'), EndpointSpec: { Ports: [{ TargetPort: 80, PublishedPort: 30000 }] } });
  assert.equal(explicit.status, 400, 'an allocated port is taken');
  assert.match(explicit.body.message, /^port 30000 is already in use by service dyn \(/);
  // An update may keep its own ports, and may not take another service's.
  const a = api.store.view((tx) => tx.services.byName('a')!);
  const own = await call(api.app, 'POST', `/v1.41/services/a/update?version=${a.Version.Index}`, { ...a.Spec, Labels: { v: '2' } });
  assert.equal(own.status, 200);
  const taken = await call(api.app, 'POST', `/v1.41/services/dyn/update?version=${dyn.Version.Index}`, {
    ...dyn.Spec,
    EndpointSpec: { Ports: [{ TargetPort: 80, PublishedPort: 9090 }] },
  });
  assert.equal(taken.status, 400);
  assert.match(taken.body.message, /port 9090 is already in use by service h[12]/);
  await api.close();
});

test('list: filters by id and name prefix, label, mode; unknown filter is a 400', async () => {
  const api = await testApi();
  const web = await createService(api, { ...spec('web'), Labels: { tier: 'front', 'com.docker.stack.namespace': 'shop' } });
  const webapi = await createService(api, { ...spec('webapi'), Labels: { tier: 'back' } });
  const mon = await createService(api, { ...spec('monitor'), Mode: { Global: {} } });
  const list = async (f: Record<string, string[]>) => {
    const res = await call(api.app, 'GET', `/v1.41/services?filters=${filters(f)}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.map((s: { Spec: { Name: string } }) => s.Spec.Name).sort();
  };
  assert.deepEqual(await list({}), ['monitor', 'web', 'webapi']);
  assert.deepEqual(await list({ name: ['web'] }), ['web', 'webapi']);
  assert.deepEqual(await list({ name: ['webapi', 'mon'] }), ['monitor', 'webapi']);
  assert.deepEqual(await list({ id: [web.ID.slice(0, 8)] }), ['web']);
  assert.deepEqual(await list({ id: [webapi.ID, mon.ID] }), ['monitor', 'webapi']);
  assert.deepEqual(await list({ label: ['tier'] }), ['web', 'webapi']);
  assert.deepEqual(await list({ label: ['tier=back'] }), ['webapi']);
  assert.deepEqual(await list({ label: ['tier=front', 'com.docker.stack.namespace=shop'] }), ['web']);
  assert.deepEqual(await list({ label: ['tier=back', 'com.docker.stack.namespace=shop'] }), [], 'every label must match');
  assert.deepEqual(await list({ mode: ['global'] }), ['monitor']);
  assert.deepEqual(await list({ mode: ['replicated'], name: ['web'] }), ['web', 'webapi']);
  assert.deepEqual(await list({ runtime: ['container'] }), ['monitor', 'web', 'webapi']);
  const bad = await call(api.app, 'GET', `/v1.41/services?filters=${filters({ image: ['x'] })}`);
  assert.equal(bad.status, 400);
  assert.equal(bad.body.message, "invalid filter 'image'");
  const badMode = await call(api.app, 'GET', `/v1.41/services?filters=${filters({ mode: ['daemon'] })}`);
  assert.equal(badMode.status, 400);
  const listed = (await call(api.app, 'GET', '/v1.41/services')).body;
  assert.ok(!JSON.stringify(listed).includes('Berth'), 'no Berth field is served');
  assert.equal(listed[0].ServiceStatus, undefined, 'status only when asked');
  await api.close();
});

test('list ?status=true counts running, desired and completed tasks as Swarm does', async () => {
  const api = await testApi();
  const up = seedNode(api.store, { hostname: 'n1' });
  const down = seedNode(api.store, { hostname: 'n2', state: 'down' });
  const web = await createService(api, { ...spec('web'), Mode: { Replicated: { Replicas: 3 } } });
  seedTask(api.store, web, { slot: 1, nodeId: up.ID });
  seedTask(api.store, web, { slot: 2, nodeId: up.ID, state: 'starting' });
  seedTask(api.store, web, { slot: 3, nodeId: up.ID, desired: 'shutdown' }); // running but being stopped
  seedTask(api.store, web, { slot: 3, nodeId: up.ID, state: 'failed', desired: 'shutdown' });
  const mon = await createService(api, { ...spec('mon'), Mode: { Global: {} } });
  seedTask(api.store, mon, { slot: 0, nodeId: up.ID });
  seedTask(api.store, mon, { slot: 0, nodeId: down.ID, state: 'pending' });
  seedTask(api.store, mon, { slot: 0, nodeId: up.ID, state: 'shutdown', desired: 'shutdown' });
  // A replicated service that ran to completion (--restart-condition none) counts as completed.
  const once = await createService(api, { ...spec('once'), Mode: { Replicated: { Replicas: 2 } } });
  seedTask(api.store, once, { slot: 1, state: 'complete', desired: 'shutdown' });
  seedTask(api.store, once, { slot: 2, nodeId: up.ID });

  const res = await call(api.app, 'GET', '/v1.41/services?status=true');
  const status = Object.fromEntries(res.body.map((s: { Spec: { Name: string }; ServiceStatus: unknown }) => [s.Spec.Name, s.ServiceStatus]));
  assert.deepEqual(status.web, { RunningTasks: 1, DesiredTasks: 3, CompletedTasks: 0 });
  assert.deepEqual(status.mon, { RunningTasks: 1, DesiredTasks: 1, CompletedTasks: 0 });
  assert.deepEqual(status.once, { RunningTasks: 1, DesiredTasks: 2, CompletedTasks: 1 });
  await api.close();
});

test('inspect: by ID, name and unique prefix; ambiguous prefix is a 400; unknown a 404', async () => {
  const api = await testApi();
  const seed = (id: string, name: string) =>
    api.store.update((tx) => tx.services.create({ ID: id, Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: spec(name), BerthSpecVersion: 0 }));
  seed('abc1xxxxxxxxxxxxxxxxxxxxx', 'alpha');
  seed('abc2xxxxxxxxxxxxxxxxxxxxx', 'beta');
  // A service named like another's ID prefix: the name wins, as in the Engine.
  seed('zzz9xxxxxxxxxxxxxxxxxxxxx', 'abc');
  assert.equal((await call(api.app, 'GET', '/v1.41/services/abc1xxxxxxxxxxxxxxxxxxxxx')).body.Spec.Name, 'alpha');
  assert.equal((await call(api.app, 'GET', '/v1.41/services/beta')).body.ID, 'abc2xxxxxxxxxxxxxxxxxxxxx');
  assert.equal((await call(api.app, 'GET', '/services/abc2')).body.Spec.Name, 'beta');
  assert.equal((await call(api.app, 'GET', '/v1.41/services/abc')).body.Spec.Name, 'abc');
  const amb = await call(api.app, 'GET', '/v1.41/services/ab');
  assert.equal(amb.status, 400);
  assert.equal(amb.body.message, 'service ab is ambiguous (2 matches found)');
  const missing = await call(api.app, 'GET', '/v1.41/services/nope');
  assert.equal(missing.status, 404);
  assert.equal(missing.body.message, 'service nope not found');
  await api.close();
});

test('inspect ?insertDefaults=true fills Swarm defaults field by field (InterpolateService) without changing the stored spec', async () => {
  const api = await testApi();
  const svc = await createService(api, { ...spec('web'), TaskTemplate: { ContainerSpec: { Image: 'busybox' }, RestartPolicy: { Condition: 'on-failure' } } });
  const plain = await call(api.app, 'GET', '/v1.41/services/web');
  assert.equal(plain.body.Spec.UpdateConfig, undefined);
  assert.equal(plain.body.BerthSpecVersion, undefined);
  const res = await call(api.app, 'GET', '/v1.41/services/web?insertDefaults=true');
  const s = res.body.Spec;
  assert.deepEqual(s.TaskTemplate.RestartPolicy, { Condition: 'on-failure', Delay: 5e9, MaxAttempts: 0 }, 'the given condition is kept');
  assert.equal(s.TaskTemplate.ContainerSpec.StopGracePeriod, 10e9);
  const update = { Parallelism: 1, FailureAction: 'pause', Monitor: 5e9, MaxFailureRatio: 0, Order: 'stop-first' };
  assert.deepEqual(s.UpdateConfig, update);
  assert.deepEqual(s.RollbackConfig, update);
  assert.equal(s.EndpointSpec, undefined, 'Swarm fills no EndpointSpec: without one there is none');
  assert.deepEqual(s.TaskTemplate.Placement, {});
  assert.deepEqual(s.TaskTemplate.Resources, {}, "swarmkit's default ResourceRequirements is empty");
  assert.deepEqual(api.store.view((tx) => tx.services.get(svc.ID)!.Spec), svc.Spec);
  const none = await createService(api, spec('bare'));
  const bare = await call(api.app, 'GET', `/v1.41/services/${none.ID}?insertDefaults=1`);
  assert.deepEqual(bare.body.Spec.TaskTemplate.RestartPolicy, { Condition: 'any', Delay: 5e9, MaxAttempts: 0 });

  // A given section keeps its fields and gets the missing ones: Monitor (0 is none to Swarm), Delay.
  await createService(api, {
    ...spec('partial'),
    TaskTemplate: { ContainerSpec: { Image: 'busybox' }, RestartPolicy: { Condition: 'none', MaxAttempts: 2 } },
    UpdateConfig: { Parallelism: 3, Delay: 2e9, Monitor: 0, Order: 'start-first' },
    RollbackConfig: { Parallelism: 2, FailureAction: 'continue' },
    EndpointSpec: { Ports: [{ TargetPort: 80, PublishedPort: 8080, PublishMode: 'host' }] },
  });
  const partial = (await call(api.app, 'GET', '/v1.41/services/partial?insertDefaults=true')).body.Spec;
  assert.deepEqual(partial.UpdateConfig, { Parallelism: 3, Delay: 2e9, FailureAction: 'pause', Monitor: 5e9, MaxFailureRatio: 0, Order: 'start-first' });
  assert.deepEqual(partial.RollbackConfig, { Parallelism: 2, FailureAction: 'continue', Monitor: 5e9, MaxFailureRatio: 0, Order: 'stop-first' });
  assert.deepEqual(partial.TaskTemplate.RestartPolicy, { Condition: 'none', MaxAttempts: 2, Delay: 5e9 });
  assert.deepEqual(partial.EndpointSpec, { Mode: 'vip', Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'host' }] });
  await api.close();
});

test('inspect shows the fields dockerd always shows (moby types without omitempty) and the enums by name', async () => {
  const api = await testApi();
  ensureNetworks(api.store);
  await createService(api, spec('bare'));
  const bare = (await call(api.app, 'GET', '/v1.41/services/bare')).body;
  assert.deepEqual(bare.Spec.Labels, {});
  assert.deepEqual(bare.Spec.Mode, { Replicated: { Replicas: 1 } });
  assert.equal(bare.Spec.TaskTemplate.ForceUpdate, 0);
  assert.equal(bare.Spec.TaskTemplate.Runtime, 'container');
  assert.equal(bare.Spec.TaskTemplate.ContainerSpec.Isolation, 'default');
  assert.deepEqual(bare.Endpoint, { Spec: {} }, 'Endpoint is always there, with its Spec; no empty Ports');
  assert.equal('UpdateStatus' in bare, false, 'no UpdateStatus before any update');
  assert.equal('PreviousSpec' in bare, false);

  await createService(api, {
    ...spec('web'),
    TaskTemplate: { ContainerSpec: { Image: 'busybox' }, RestartPolicy: { Delay: 1e9 } },
    UpdateConfig: { Parallelism: 2 },
    EndpointSpec: { Ports: [{ TargetPort: 80, PublishedPort: 8080 }] },
  });
  const web = (await call(api.app, 'GET', '/v1.41/services/web')).body;
  const port = { Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' };
  assert.deepEqual(web.Spec.EndpointSpec, { Mode: 'vip', Ports: [port] });
  assert.deepEqual(web.Endpoint.Spec, { Mode: 'vip', Ports: [port] });
  assert.deepEqual(web.Endpoint.Ports, [port]);
  assert.deepEqual(web.Spec.TaskTemplate.RestartPolicy, { Condition: 'any', Delay: 1e9, MaxAttempts: 0 });
  assert.deepEqual(web.Spec.UpdateConfig, { Parallelism: 2, FailureAction: 'pause', MaxFailureRatio: 0, Order: 'stop-first' });

  // What a client reads it may send back: the same spec, so nothing changes.
  const stored = api.store.view((tx) => tx.services.byName('web')!);
  const again = await call(api.app, 'POST', `/v1.41/services/web/update?version=${web.Version.Index}`, web.Spec);
  assert.equal(again.status, 200);
  const after = api.store.view((tx) => tx.services.byName('web')!);
  assert.equal(after.BerthSpecVersion, stored.BerthSpecVersion, 'the spec read back is the stored spec');
  assert.equal(after.PreviousSpec, undefined);
  await api.close();
});

test('ContainerSpec.Healthcheck is spelled as dockerd spells it; the yaml spelling HealthCheck is accepted; a client can remove it', async () => {
  const api = await testApi();
  const check = { Test: ['CMD', 'true'], Interval: 1e9 };
  await createService(api, { ...spec('cli'), TaskTemplate: { ContainerSpec: { Image: 'busybox', Healthcheck: check } } });
  await createService(api, { ...spec('yaml'), TaskTemplate: { ContainerSpec: { Image: 'busybox', HealthCheck: check } as never } });
  for (const name of ['cli', 'yaml']) {
    const container = (await call(api.app, 'GET', `/v1.41/services/${name}`)).body.Spec.TaskTemplate.ContainerSpec;
    assert.deepEqual(container.Healthcheck, check, name);
    assert.equal('HealthCheck' in container, false, name);
  }
  // An SDK that round-trips the spec drops the key it reads.
  const shown = (await call(api.app, 'GET', '/v1.41/services/cli')).body;
  const { Healthcheck: _gone, ...container } = shown.Spec.TaskTemplate.ContainerSpec;
  const res = await call(api.app, 'POST', `/v1.41/services/cli/update?version=${shown.Version.Index}`, { ...shown.Spec, TaskTemplate: { ...shown.Spec.TaskTemplate, ContainerSpec: container } });
  assert.equal(res.status, 200);
  assert.equal(api.store.view((tx) => tx.services.byName('cli')!.Spec.TaskTemplate?.ContainerSpec?.Healthcheck), undefined);
  await api.close();
});

test('update: version required and checked; the old spec becomes PreviousSpec; the spec version moves', async () => {
  const api = await testApi();
  const svc = await createService(api, { ...spec('web'), Mode: { Replicated: { Replicas: 3 } } });
  const body = { ...svc.Spec, Mode: { Replicated: { Replicas: 5 } } };
  const noVersion = await call(api.app, 'POST', '/v1.41/services/web/update', body);
  assert.equal(noVersion.status, 400);
  assert.match(noVersion.body.message, /^missing version/);

  const res = await call(api.app, 'POST', `/v1.41/services/web/update?version=${svc.Version.Index}`, body);
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, { Warnings: [] });
  const after = api.store.view((tx) => tx.services.get(svc.ID)!);
  assert.deepEqual(after.Spec.Mode, { Replicated: { Replicas: 5 } });
  assert.deepEqual(after.PreviousSpec, svc.Spec);
  assert.equal(after.BerthSpecVersion, after.Version.Index);
  assert.ok(after.BerthSpecVersion > svc.BerthSpecVersion);

  // dockerd answers this text with a 500; Berth says 409 (a client-side conflict), clients match the text.
  const stale = await call(api.app, 'POST', `/v1.41/services/web/update?version=${svc.Version.Index}`, { ...body, Labels: { x: 'y' } });
  assert.equal(stale.status, 409);
  assert.match(stale.body.message, /^update out of sequence: service .* is at version \d+, the update was made from version \d+/);

  // An update that changes nothing keeps the spec version (no task is replaced) and the rollback target.
  const same = await call(api.app, 'POST', `/v1.41/services/web/update?version=${after.Version.Index}`, after.Spec);
  assert.equal(same.status, 200);
  const unchanged = api.store.view((tx) => tx.services.get(svc.ID)!);
  assert.equal(unchanged.BerthSpecVersion, after.BerthSpecVersion);
  assert.deepEqual(unchanged.PreviousSpec, svc.Spec);
  await api.close();
});

test('update: no rename, no mode change, the body is validated', async () => {
  const api = await testApi();
  const svc = await createService(api, spec('web'));
  const at = `/v1.41/services/${svc.ID}/update?version=${svc.Version.Index}`;
  const rename = await call(api.app, 'POST', at, { ...svc.Spec, Name: 'web2' });
  assert.equal(rename.status, 400);
  assert.match(rename.body.message, /renaming services is not supported/);
  const mode = await call(api.app, 'POST', at, { ...svc.Spec, Mode: { Global: {} } });
  assert.equal(mode.status, 400);
  assert.match(mode.body.message, /can't change mode from replicated to global/);
  const invalid = await call(api.app, 'POST', at, { ...svc.Spec, TaskTemplate: { ContainerSpec: { Image: 'busybox', Mounts: [{ Type: 'bind', Source: 'x', Target: '/x' }] } } });
  assert.equal(invalid.status, 400);
  assert.match(invalid.body.message, /Mounts\[0\]\.Source of a bind mount must be an absolute host path/);
  const missing = await call(api.app, 'POST', `/v1.41/services/nope/update?version=1`, svc.Spec);
  assert.equal(missing.status, 404);
  // A body without a name keeps the service's name.
  const { Name: _n, ...nameless } = svc.Spec;
  assert.equal((await call(api.app, 'POST', at, { ...nameless, Labels: { a: 'b' } })).status, 200);
  assert.equal(api.store.view((tx) => tx.services.get(svc.ID)!.Spec.Name), 'web');
  await api.close();
});

test('update ?rollback=previous swaps PreviousSpec in; without one it is a 400', async () => {
  const api = await testApi();
  const svc = await createService(api, spec('web'));
  const none = await call(api.app, 'POST', `/v1.41/services/web/update?version=${svc.Version.Index}&rollback=previous`, svc.Spec);
  assert.equal(none.status, 400);
  assert.equal(none.body.message, 'service web does not have a previous spec');

  await call(api.app, 'POST', `/v1.41/services/web/update?version=${svc.Version.Index}`, { ...svc.Spec, Labels: { v: '2' } });
  const v2 = api.store.view((tx) => tx.services.get(svc.ID)!);
  const res = await call(api.app, 'POST', `/v1.41/services/web/update?version=${v2.Version.Index}&rollback=previous`, v2.Spec);
  assert.equal(res.status, 200);
  const rolled = api.store.view((tx) => tx.services.get(svc.ID)!);
  assert.deepEqual(rolled.Spec, svc.Spec);
  assert.deepEqual(rolled.PreviousSpec, v2.Spec);
  assert.equal(rolled.UpdateStatus?.State, 'rollback_started', 'the rollback request starts the rollback status, as in Swarm');
  assert.equal(rolled.UpdateStatus?.Message, 'manually requested rollback');
  assert.equal(rolled.BerthSpecVersion, rolled.Version.Index);
  assert.ok(rolled.BerthSpecVersion > v2.BerthSpecVersion, 'a rollback is a spec change');
  const bad = await call(api.app, 'POST', `/v1.41/services/web/update?version=${rolled.Version.Index}&rollback=yes`, v2.Spec);
  assert.equal(bad.status, 400);
  await api.close();
});

test('an update resets UpdateStatus and a rollback starts its own, as Swarm’s control API does', async () => {
  const api = await testApi();
  await createService(api, spec('web'));
  // As the updater would: an update paused by a failure.
  const paused = { State: 'paused', StartedAt: '2024-01-01T00:00:00.000000000Z', Message: 'update paused due to failure' } as const;
  const v1 = api.store.update((tx) => tx.services.update({ ...tx.services.byName('web')!, UpdateStatus: paused }));

  const res = await call(api.app, 'POST', `/v1.41/services/web/update?version=${v1.Version.Index}`, { ...v1.Spec, Labels: { v: '2' } });
  assert.equal(res.status, 200);
  const v2 = api.store.view((tx) => tx.services.byName('web')!);
  assert.deepEqual(v2.Spec.Labels, { v: '2' });
  assert.equal(v2.UpdateStatus, undefined, 'a new update clears the paused state, or the CLI would fail on it at once');

  const back = await call(api.app, 'POST', `/v1.41/services/web/update?version=${v2.Version.Index}&rollback=previous`, {});
  assert.equal(back.status, 200);
  const v3 = api.store.view((tx) => tx.services.byName('web')!);
  assert.deepEqual(v3.Spec, v1.Spec);
  assert.deepEqual(v3.PreviousSpec, v2.Spec);
  assert.ok(v3.BerthSpecVersion > v2.BerthSpecVersion);
  assert.equal(v3.UpdateStatus?.State, 'rollback_started');
  await api.close();
});

test('job services get a job iteration with every spec change; modes never change; start-first is accepted', async () => {
  const api = await testApi();
  await createService(api, { ...spec('job'), Mode: { ReplicatedJob: { MaxConcurrent: 2, TotalCompletions: 4 } } });
  const job = api.store.view((tx) => tx.services.byName('job')!);
  assert.equal(job.JobStatus?.JobIteration?.Index, job.Version.Index);
  const again = await call(api.app, 'POST', `/v1.41/services/job/update?version=${job.Version.Index}`, { ...job.Spec, Labels: { run: '2' } });
  assert.equal(again.status, 200);
  const job2 = api.store.view((tx) => tx.services.byName('job')!);
  assert.ok(job2.JobStatus!.JobIteration!.Index > job.JobStatus!.JobIteration!.Index, 'an update runs the job again');
  const listed = await call(api.app, 'GET', '/v1.41/services?filters=' + encodeURIComponent(JSON.stringify({ mode: { 'replicated-job': true } })));
  assert.deepEqual(listed.body.map((s: { Spec: { Name: string } }) => s.Spec.Name), ['job']);

  const svc = await createService(api, spec('web'));
  const at = `/v1.41/services/web/update?version=${svc.Version.Index}`;
  const toJob = await call(api.app, 'POST', at, { ...svc.Spec, Mode: { GlobalJob: {} } });
  assert.equal(toJob.status, 400);
  assert.match(toJob.body.message, /can't change mode from replicated to global-job/);
  assert.deepEqual(api.store.view((tx) => tx.services.get(svc.ID)), svc, 'the service is untouched');
  const startFirst = await call(api.app, 'POST', at, { ...svc.Spec, UpdateConfig: { Parallelism: 1, Order: 'start-first' } });
  assert.equal(startFirst.status, 200);
  await api.close();
});

test('delete removes only the service object', async () => {
  const api = await testApi();
  const svc = await createService(api, spec('web'));
  const task = seedTask(api.store, svc);
  assert.equal((await call(api.app, 'DELETE', '/v1.41/services/web')).status, 200);
  assert.equal(api.store.view((tx) => tx.services.get(svc.ID)), undefined);
  assert.ok(api.store.view((tx) => tx.tasks.get(task.ID)), 'tasks are the orchestrator’s to shut down');
  const again = await call(api.app, 'DELETE', '/v1.41/services/web');
  assert.equal(again.status, 404);
  assert.equal(again.body.message, 'service web not found');
  await api.close();
});
