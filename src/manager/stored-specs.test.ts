import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from '../store/index.js';
import type { ServiceSpec } from '../types/index.js';
import type { OldContainerSpec } from '../common/healthcheck.js';
import { newId } from '../common/ids.js';
import { call, testApi } from '../api/test-helpers.js';
import { ReplicatedOrchestrator } from '../orchestrator/index.js';
import { isStale, newTask, specChanged } from '../orchestrator/tasks.js';
import { openTestStore } from '../../test/helpers/store.js';
import { addNode } from '../../test/helpers/objects.js';
import { waitFor } from '../../test/helpers/wait.js';
import { normaliseStoredSpecs } from './stored-specs.js';

const HEALTH = { Test: ['CMD', 'true'], Interval: 1e9 };

/** A spec as Berth stored it before the engine form: HealthCheck, Runtime, enums left out. */
function oldSpec(name: string, task: Partial<ServiceSpec['TaskTemplate']> = {}): ServiceSpec {
  const container: OldContainerSpec = { Image: 'localhost/berth-demo:1', HealthCheck: HEALTH };
  return {
    Name: name,
    Mode: { Replicated: { Replicas: 1 } },
    TaskTemplate: { ContainerSpec: container, Runtime: 'container', ...task },
    UpdateConfig: { Parallelism: 2, Monitor: 0 },
    RollbackConfig: { FailureAction: 'continue' },
    EndpointSpec: { Ports: [{ TargetPort: 80, PublishedPort: 8080, PublishMode: 'host' }] },
  };
}

/**
 * A service and its running task as an older manager left them. `taskSpec` overrides the task's
 * copy, as the orchestrator leaves it when it marks a task current that differs only in zeros.
 */
function seedOld(store: Store, nodeId: string, spec: ServiceSpec, taskSpec?: ServiceSpec['TaskTemplate']): { serviceId: string; taskId: string } {
  return store.update((tx) => {
    const svc = tx.services.create({
      ID: newId(),
      Version: { Index: 0 },
      CreatedAt: '',
      UpdatedAt: '',
      Spec: spec,
      PreviousSpec: spec,
      Endpoint: { Spec: spec.EndpointSpec, Ports: spec.EndpointSpec!.Ports },
      BerthSpecVersion: tx.index,
    });
    const task = newTask(svc, { slot: 1, nodeId });
    const created = tx.tasks.create({ ...task, Spec: taskSpec ?? task.Spec, Status: { ...task.Status, State: 'running' } });
    return { serviceId: svc.ID, taskId: created.ID };
  });
}

test('specs stored in the old form are rewritten once, tasks with their services, and stay current', async () => {
  const store = await openTestStore();
  const node = addNode(store);
  const web = seedOld(store, node.ID, oldSpec('web', { RestartPolicy: { Condition: 'on-failure' } }));
  // Updated with `--restart-max-attempts 0` before: the task, equal but for zeros, kept no RestartPolicy.
  const { RestartPolicy: _none, ...bare } = oldSpec('worker').TaskTemplate!;
  const worker = seedOld(store, node.ID, oldSpec('worker', { RestartPolicy: { MaxAttempts: 0 } }), bare);

  assert.deepEqual(normaliseStoredSpecs(store), { services: 2, tasks: 2 });

  const svc = store.view((tx) => tx.services.get(web.serviceId)!);
  const endpoint = { Mode: 'vip', Ports: [{ TargetPort: 80, PublishedPort: 8080, PublishMode: 'host', Protocol: 'tcp' }] };
  assert.deepEqual(svc.Spec, {
    Name: 'web',
    Labels: {},
    Mode: { Replicated: { Replicas: 1 } },
    TaskTemplate: {
      ContainerSpec: { Image: 'localhost/berth-demo:1', Healthcheck: HEALTH, Isolation: 'default' },
      RestartPolicy: { Condition: 'on-failure', MaxAttempts: 0 },
      ForceUpdate: 0,
    },
    UpdateConfig: { Parallelism: 2, FailureAction: 'pause', MaxFailureRatio: 0, Order: 'stop-first' },
    // The older Berth rolled one task at a time when Parallelism was left out; it still does.
    RollbackConfig: { Parallelism: 1, FailureAction: 'continue', MaxFailureRatio: 0, Order: 'stop-first' },
    EndpointSpec: endpoint,
  });
  assert.deepEqual(svc.PreviousSpec, svc.Spec, 'the rollback target is rewritten too');
  assert.deepEqual(svc.Endpoint?.Spec, endpoint);

  for (const { serviceId, taskId } of [web, worker]) {
    const [s, t] = store.view((tx) => [tx.services.get(serviceId)!, tx.tasks.get(taskId)!] as const);
    assert.deepEqual(t.Spec, s.Spec.TaskTemplate, `${s.Spec.Name}: the task's spec is its service's`);
    assert.deepEqual(t.BerthService.Endpoint, s.Spec.EndpointSpec);
    assert.equal(isStale(t, s), false);
    assert.equal(specChanged(t, s), false, `${s.Spec.Name}: the orchestrator sees nothing to update`);
  }

  const index = store.index;
  assert.deepEqual(normaliseStoredSpecs(store), { services: 0, tasks: 0 });
  assert.equal(store.index, index, 'a second run commits nothing');
  store.close();
});

test('after the rewrite, a service read and sent back is no change, and a label update keeps its task', async (t) => {
  const api = await testApi();
  const node = addNode(api.store);
  const { taskId } = seedOld(api.store, node.ID, oldSpec('web'));
  normaliseStoredSpecs(api.store);
  const ac = new AbortController();
  void new ReplicatedOrchestrator(api.store).run(ac.signal);
  t.after(async () => {
    ac.abort();
    await api.close();
  });

  const read = (await call(api.app, 'GET', '/v1.41/services/web')).body;
  const before = api.store.view((tx) => tx.services.get(read.ID)!.BerthSpecVersion);
  const same = await call(api.app, 'POST', `/v1.41/services/web/update?version=${read.Version.Index}`, read.Spec);
  assert.equal(same.status, 200);
  const svc = api.store.view((tx) => tx.services.get(read.ID)!);
  assert.equal(svc.BerthSpecVersion, before, 'sending back what was read changes no spec');

  const labelled = await call(api.app, 'POST', `/v1.41/services/web/update?version=${svc.Version.Index}`, { ...read.Spec, Labels: { tier: 'front' } });
  assert.equal(labelled.status, 200);
  const version = api.store.view((tx) => tx.services.get(read.ID)!.BerthSpecVersion);
  assert.ok(version > svc.BerthSpecVersion);
  const tasks = await waitFor(api.store, (tx) => {
    const l = tx.tasks.byService(read.ID);
    return (l.length > 1 || l[0]?.SpecVersion?.Index === version) && l;
  }, 2000, 'the task marked current or replaced');
  assert.deepEqual(tasks.map((x) => [x.ID, x.DesiredState]), [[taskId, 'running']], 'the task is kept, not restarted');
});
