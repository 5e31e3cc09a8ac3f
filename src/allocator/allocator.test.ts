import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Store } from '../store/index.js';
import { newId } from '../common/ids.js';
import { now } from '../common/time.js';
import type { Network, Task } from '../types/index.js';
import { Allocator, attachmentsFor } from './allocator.js';

function addNetwork(store: Store, name: string): Network {
  return store.update((tx) =>
    tx.networks.create({
      ID: newId(),
      Version: { Index: 0 },
      CreatedAt: '',
      UpdatedAt: '',
      Spec: { Name: name, DriverConfiguration: { Name: 'overlay' } },
      IPAMOptions: { Configs: [{ Subnet: '10.0.0.0/24', Gateway: '10.0.0.1' }] },
    }),
  );
}

function addTask(store: Store, networks: Task['Spec']['Networks']): Task {
  return store.update((tx) =>
    tx.tasks.create({
      ID: newId(),
      Version: { Index: 0 },
      CreatedAt: '',
      UpdatedAt: '',
      Spec: { ContainerSpec: { Image: 'i' }, ...(networks && { Networks: networks }) },
      ServiceID: 'svc',
      Slot: 1,
      Status: { Timestamp: now(), State: 'new', Message: 'created' },
      DesiredState: 'running',
      BerthService: { Name: 'web', Labels: {} },
    }),
  );
}

test('attachments: each network as stored, answering to the service name, tasks.<name> and the spec aliases', () => {
  const store = new Store();
  const backend = addNetwork(store, 'backend');
  const frontend = addNetwork(store, 'frontend');
  const task = addTask(store, [{ Target: backend.ID, Aliases: ['db', 'web'] }, { Target: frontend.ID }]);
  const got = store.view((tx) => attachmentsFor(tx, task));
  assert.deepEqual(got, [
    { Network: backend, BerthAliases: ['web', 'tasks.web', 'db'] },
    { Network: frontend, BerthAliases: ['web', 'tasks.web'] },
  ]);
  const gone = addTask(store, [{ Target: 'deleted-id' }]);
  assert.equal(store.view((tx) => attachmentsFor(tx, gone)), 'pending network allocation: network deleted-id not found');
  store.close();
});

test('the allocator moves new tasks to pending with their attachments; a task whose network is gone waits, saying why', async () => {
  const store = new Store();
  const backend = addNetwork(store, 'backend');
  const plain = addTask(store, undefined);
  const attached = addTask(store, [{ Target: backend.ID }]);
  const orphan = addTask(store, [{ Target: 'deleted-id' }]);
  const allocator = new Allocator(store);
  store.view((tx) => allocator.init(tx));
  allocator.reconcile();
  const [p, a, o] = store.view((tx) => [plain, attached, orphan].map((t) => tx.tasks.get(t.ID)!));
  assert.equal(p!.Status.State, 'pending');
  assert.equal(p!.NetworksAttachments, undefined);
  assert.equal(a!.Status.State, 'pending');
  assert.deepEqual(a!.NetworksAttachments, [{ Network: backend, BerthAliases: ['web', 'tasks.web'] }]);
  assert.equal(o!.Status.State, 'new');
  assert.equal(o!.Status.Message, 'pending network allocation: network deleted-id not found');
  store.close();
});
