// Server-side stacks over a real store and the real Engine routes: conversion as `docker stack
// deploy` does it, deploy as one transaction, the dry run's plan, adoption of the CLI's stacks,
// removal, and the errors a compose file can earn (with its path and line).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { call, testApi } from '../api/test-helpers.js';
import { ensureNetworks, stackEngine } from '../api/index.js';
import { convertCompose } from './compose/convert.js';
import { stackRoutes } from './index.js';

const COMPOSE = `
services:
  web:
    image: localhost/web:1
    command: httpd -f -p "8080"
    ports: ["8080:80", {target: 53, published: 5353, protocol: udp, mode: host}]
    environment: [B=2, A=1, FROM_ENV]
    networks: [front]
    healthcheck: {test: "wget -q localhost", interval: 2s, retries: 3}
    deploy:
      replicas: \${REPLICAS:-1}
      labels: [tier=front]
      resources: {limits: {cpus: "0.50", memory: 64M}}
      update_config: {order: start-first}
      restart_policy: {condition: on-failure, delay: 1s}
  worker:
    image: localhost/worker:1
    secrets: [{source: db, target: db_password, mode: 0400}]
    configs: [conf]
    volumes: ["data:/data:ro", "/srv:/srv"]
    privileged: true
    container_name: w1
    depends_on: [web]
networks:
  front: {attachable: true}
volumes:
  data: {}
secrets:
  db: {environment: DB_PASSWORD}
configs:
  conf: {content: "greeting=\${GREETING}"}
`;
const ENV = { FROM_ENV: 'x', DB_PASSWORD: 'hunter2', GREETING: 'hi' };

async function stacksApi() {
  const api = await testApi({ plugins: [(scope) => stackRoutes(scope, { store: api.store, engine: stackEngine })] });
  // As the manager does at start: a swarm has its ingress network.
  ensureNetworks(api.store);
  return api;
}

test('a compose file converts as docker stack deploy converts it: names, labels, aliases, sorted lists, units', () => {
  const objects = convertCompose('app', COMPOSE, ENV);
  assert.deepEqual(objects.warnings, ['Ignoring unsupported options: privileged', 'Ignoring deprecated options:\n\ncontainer_name: Setting the container name is not supported.']);
  assert.deepEqual(objects.networks.map((n) => [n.Name, n.Labels, n.Attachable]), [['app_default', { 'com.docker.stack.namespace': 'app' }, undefined], ['app_front', { 'com.docker.stack.namespace': 'app' }, true]]);
  const [web, worker] = objects.services;
  assert.equal(web!.Name, 'app_web');
  assert.deepEqual(web!.Labels, { tier: 'front', 'com.docker.stack.namespace': 'app', 'com.docker.stack.image': 'localhost/web:1' });
  const c = web!.TaskTemplate!.ContainerSpec!;
  assert.deepEqual(c.Args, ['httpd', '-f', '-p', '8080']);
  assert.deepEqual(c.Env, ['A=1', 'B=2', 'FROM_ENV=x'], 'sorted; a bare name takes the deploy variable');
  assert.deepEqual(c.Labels, { 'com.docker.stack.namespace': 'app' });
  assert.deepEqual(c.Healthcheck, { Test: ['CMD-SHELL', 'wget -q localhost'], Interval: 2e9, Retries: 3 });
  assert.deepEqual(web!.TaskTemplate!.Networks, [{ Target: 'app_front', Aliases: ['web'] }]);
  assert.deepEqual(web!.TaskTemplate!.Resources, { Limits: { NanoCPUs: 5e8, MemoryBytes: 64 * 2 ** 20 } });
  assert.deepEqual(web!.TaskTemplate!.RestartPolicy, { Condition: 'on-failure', Delay: 1e9 });
  assert.deepEqual(web!.Mode, { Replicated: { Replicas: 1 } });
  assert.deepEqual(web!.UpdateConfig, { Parallelism: 1, Order: 'start-first' });
  assert.deepEqual(web!.EndpointSpec!.Ports, [
    { Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' },
    { Protocol: 'udp', TargetPort: 53, PublishedPort: 5353, PublishMode: 'host' },
  ]);
  const w = worker!.TaskTemplate!.ContainerSpec!;
  assert.deepEqual(worker!.TaskTemplate!.Networks, [{ Target: 'app_default', Aliases: ['worker'] }], 'no networks: the stack default network');
  assert.deepEqual(w.Secrets, [{ SecretName: 'app_db', File: { Name: 'db_password', UID: '0', GID: '0', Mode: 0o400 } }]);
  assert.deepEqual(w.Configs, [{ ConfigName: 'app_conf', File: { Name: 'conf', UID: '0', GID: '0', Mode: 0o444 } }]);
  assert.deepEqual(w.Mounts, [
    { Type: 'volume', Source: 'app_data', Target: '/data', ReadOnly: true, VolumeOptions: { Labels: { 'com.docker.stack.namespace': 'app' } } },
    { Type: 'bind', Source: '/srv', Target: '/srv' },
  ]);
  assert.equal(Buffer.from(objects.secrets[0]!.Data!, 'base64').toString(), 'hunter2');
  assert.equal(Buffer.from(objects.configs[0]!.Data!, 'base64').toString(), 'greeting=hi');
  assert.deepEqual(convertCompose('app', COMPOSE, { ...ENV, REPLICAS: '3' }).services[0]!.Mode, { Replicated: { Replicas: 3 } });
});

test('bad files are 400s naming the compose path (and line), with the CLI words where it has them', () => {
  const refused = (text: string, message: RegExp, env = {}) => assert.throws(() => convertCompose('app', text, env), (err: Error & { code?: string }) => (assert.match(err.message, message), assert.equal(err.code, 'INVALID_ARGUMENT'), true));
  refused('services:\n  web:\n    image: x\n    deploy:\n      replicas: three\n', /^services\.web\.deploy\.replicas: must be an integer of 0 or more \(got "three"\)$/);
  refused('services:\n  web:\n    image: x\n    deploy:\n      replicas: [1]\n', /^services\.web\.deploy\.replicas: must be an integer or a string \(line 5\)$/);
  refused('services:\n  web:\n    image: x\n    bogus: 1\n', /^services\.web\.bogus: is not allowed here .*\(line 4\)$/);
  refused('services:\n  web:\n    image: x\n    mem_limit: 1g\n', /^compose file contains unsupported options:\n\nmem_limit: Set resource limits using deploy.resources\n$/);
  refused('services:\n  web:\n    image: x\n    profiles: [debug]\n', /^services\.web\.profiles: is not supported in a stack/);
  refused('services:\n  web:\n    build: ./web\n', /^services\.web\.image: invalid image reference for service web: no image specified$/);
  refused('services:\n  web:\n    image: ${TAG:?give a tag}\n', /^invalid interpolation format for services\.web\.image: required variable TAG is missing a value: give a tag/);
  refused('services:\n  web:\n    image: x\n    networks: [nope]\n', /^services\.web\.networks: service web: undefined network "nope"$/);
  refused('secrets:\n  s:\n    file: ./s.txt\nservices: {}\n', /^secrets\.s\.file: the server cannot read files/);
  refused('services:\n  web:\n    image: x\n  web:\n    image: yy\n', /^compose file: line 4: Map keys must be unique/);
});

test('deploy creates the objects in one transaction; a dry run plans a change and applies nothing; the plan names changed fields', async () => {
  const api = await stacksApi();
  try {
    const first = await call(api.app, 'POST', '/berth/v1/stacks', { Name: 'app', Compose: COMPOSE, Env: ENV });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.StackVersion, 1);
    assert.deepEqual(first.body.Changes.map((c: { Kind: string; Name: string; Action: string }) => `${c.Action} ${c.Kind} ${c.Name}`), [
      'create network app_default', 'create network app_front', 'create secret app_db', 'create config app_conf', 'create service app_web', 'create service app_worker',
    ]);
    const stored = api.store.view((tx) => tx.services.byName('app_web')!);
    assert.equal(api.store.view((tx) => tx.networks.byName(stored.Spec.TaskTemplate!.Networks![0]!.Target!)), undefined, 'network targets are stored as IDs');
    const worker = api.store.view((tx) => tx.services.byName('app_worker')!);
    assert.ok(worker.Spec.TaskTemplate!.ContainerSpec!.Secrets![0]!.SecretID, 'secret references resolved as the Engine route resolves them');

    const before = api.store.index;
    const plan = await call(api.app, 'POST', '/berth/v1/stacks?dryRun=true', { Name: 'app', Compose: COMPOSE.replace('${REPLICAS:-1}', '2') });
    assert.equal(plan.status, 200, JSON.stringify(plan.body));
    assert.equal(plan.body.DryRun, true);
    const update = plan.body.Changes.find((c: { Name: string }) => c.Name === 'app_web');
    assert.deepEqual(update, { Kind: 'service', Name: 'app_web', Action: 'update', Fields: [{ Field: 'Mode.Replicated.Replicas', Old: 1, New: 2 }] });
    assert.ok(plan.body.Changes.filter((c: { Name: string }) => c.Name !== 'app_web').every((c: { Action: string }) => c.Action === 'unchanged'));
    assert.equal(api.store.index, before, 'a dry run writes nothing');

    const applied = await call(api.app, 'POST', '/berth/v1/stacks', { Name: 'app', Compose: COMPOSE.replace('${REPLICAS:-1}', '2') });
    assert.equal(applied.body.StackVersion, 2);
    assert.equal(api.store.view((tx) => tx.services.byName('app_web')!.Spec.Mode!.Replicated!.Replicas), 2);
    const webVersion = api.store.view((tx) => tx.services.byName('app_web')!.BerthSpecVersion);
    const again = await call(api.app, 'POST', '/berth/v1/stacks', { Name: 'app', Compose: COMPOSE.replace('${REPLICAS:-1}', '2') });
    assert.ok(again.body.Changes.every((c: { Action: string }) => c.Action === 'unchanged'), JSON.stringify(again.body.Changes));
    assert.equal(again.body.StackVersion, 2, 'the same file is no new version');
    assert.equal(api.store.view((tx) => tx.services.byName('app_web')!.BerthSpecVersion), webVersion, 'no new tasks');

    const pruned = await call(api.app, 'POST', '/berth/v1/stacks', { Name: 'app', Compose: COMPOSE.replace(/ {2}worker:[\s\S]*?depends_on: \[web\]\n/, '') });
    assert.ok(pruned.body.Changes.some((c: { Action: string; Name: string }) => c.Action === 'remove' && c.Name === 'app_worker'), JSON.stringify(pruned.body.Changes));

    const detail = await call(api.app, 'GET', '/berth/v1/stacks/app');
    assert.equal(detail.body.Compose, COMPOSE.replace(/ {2}worker:[\s\S]*?depends_on: \[web\]\n/, ''));
    assert.deepEqual(detail.body.EnvNames, ['DB_PASSWORD', 'FROM_ENV', 'GREETING'], 'variables kept from the first deploy, names only');
    assert.ok(!JSON.stringify(detail.body).includes('hunter2'));
  } finally {
    await api.close();
  }
});

test('a failing object fails the whole deploy: nothing of it is stored', async () => {
  const api = await stacksApi();
  try {
    const bad = await call(api.app, 'POST', '/berth/v1/stacks', { Name: 'app', Compose: 'services:\n  a:\n    image: x\n  b:\n    image: yy\n    secrets: [ext]\nsecrets:\n  ext: {external: true}\n' });
    assert.equal(bad.status, 400, JSON.stringify(bad.body));
    assert.match(bad.body.message, /^secret not found: ext/, 'an external secret keeps its own name');
    assert.equal(api.store.view((tx) => tx.services.count() + tx.networks.list().filter((n) => n.Spec.Name.startsWith('app_')).length + tx.stacks.count()), 0);
  } finally {
    await api.close();
  }
});

test("the docker CLI's stacks are listed by their label; rm removes services, secrets, configs and networks", async () => {
  const api = await stacksApi();
  try {
    const label = { 'com.docker.stack.namespace': 'cli' };
    assert.equal((await call(api.app, 'POST', '/networks/create', { Name: 'cli_default', Driver: 'overlay', Labels: label })).status, 201);
    const svc = { Labels: label, TaskTemplate: { ContainerSpec: { Image: 'busybox' }, Networks: [{ Target: 'cli_default' }] }, Mode: { Replicated: { Replicas: 2 } } };
    for (const name of ['cli_a', 'cli_b']) assert.equal((await call(api.app, 'POST', '/services/create', { ...svc, Name: name })).status, 201);
    await call(api.app, 'POST', '/berth/v1/stacks', { Name: 'app', Compose: 'services:\n  web:\n    image: x\n' });
    const list = await call(api.app, 'GET', '/berth/v1/stacks');
    assert.deepEqual(list.body.map((s: { Name: string; Services: number; DesiredTasks: number; HasCompose: boolean }) => [s.Name, s.Services, s.DesiredTasks, s.HasCompose]), [['app', 1, 1, true], ['cli', 2, 4, false]]);
    const removed = await call(api.app, 'DELETE', '/berth/v1/stacks/cli');
    assert.equal(removed.status, 200);
    assert.deepEqual(removed.body.Changes.map((c: { Kind: string; Name: string }) => `${c.Kind} ${c.Name}`), ['service cli_a', 'service cli_b', 'network cli_default']);
    assert.equal(api.store.view((tx) => tx.networks.byName('cli_default')), undefined);
    assert.equal((await call(api.app, 'DELETE', '/berth/v1/stacks/cli')).status, 404);
    assert.equal((await call(api.app, 'GET', '/berth/v1/stacks/cli')).status, 404);
    const bad = await call(api.app, 'POST', '/berth/v1/stacks', { Name: 'no good', Compose: 'services: {}' });
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /^Name: invalid stack name/);
  } finally {
    await api.close();
  }
});
