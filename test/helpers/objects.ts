// Builders for store objects in unit tests.
import { readFileSync } from 'node:fs';
import { newId } from '../../src/common/ids.js';
import { now } from '../../src/common/time.js';
import type { Network, Node, Service, ServiceSpec, Task, TaskState } from '../../src/types/index.js';
import type { Store } from '../../src/store/index.js';

export function addNode(store: Store, over: Partial<Node> & { hostname?: string; labels?: Record<string, string> } = {}): Node {
  const { hostname, labels, ...rest } = over;
  return store.update((tx) =>
    tx.nodes.create({
      ID: newId(),
      Version: { Index: 0 },
      CreatedAt: '',
      UpdatedAt: '',
      Spec: { Role: 'worker', Availability: 'active', Labels: labels ?? {} },
      Description: { Hostname: hostname ?? 'node', Platform: { OS: 'linux', Architecture: 'amd64' }, Resources: { NanoCPUs: 2e9, MemoryBytes: 4 * 2 ** 30 } },
      Status: { State: 'ready' },
      ...rest,
    }),
  );
}

export function addService(store: Store, spec: ServiceSpec): Service {
  return store.update((tx) =>
    tx.services.create({ ID: newId(), Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: spec, BerthSpecVersion: tx.index }),
  );
}

export function updateService(store: Store, id: string, change: (spec: ServiceSpec) => ServiceSpec): Service {
  return store.update((tx) => {
    const s = tx.services.get(id)!;
    return tx.services.update({ ...s, Spec: change(s.Spec), PreviousSpec: s.Spec, BerthSpecVersion: tx.index });
  });
}

/** report writes an observed status as the agent would. */
export function report(store: Store, taskId: string, state: TaskState, extra: Partial<Task['Status']> = {}): void {
  store.update((tx) => {
    const t = tx.tasks.get(taskId)!;
    tx.tasks.update({ ...t, Status: { ...t.Status, State: state, Message: state, Timestamp: now(), ...extra } });
  });
}

export function replicated(name: string, replicas: number, extra: Partial<ServiceSpec['TaskTemplate']> = {}): ServiceSpec {
  return { Name: name, Mode: { Replicated: { Replicas: replicas } }, TaskTemplate: { ContainerSpec: { Image: 'localhost/berth-demo:1' }, ...extra } };
}

/**
 * A real root CA certificate (its key was thrown away) for tests that need a cluster object and
 * its join tokens but sign nothing; test/helpers/dispatcher.ts makes working CAs.
 */
export const TEST_ROOT_CERT = readFileSync(new URL('../fixtures/swarm-root-ca.crt', import.meta.url), 'utf8');

/** An overlay network object as the allocator leaves it, with its own subnet, for agent tests. */
export function testNetwork(opts: { subnet: string; gateway?: string; internal: boolean }): Network {
  const id = newId();
  return {
    ID: id,
    Version: { Index: 1 },
    CreatedAt: now(),
    UpdatedAt: now(),
    Spec: { Name: `itest-${id.slice(0, 6)}`, DriverConfiguration: { Name: 'overlay' }, Internal: opts.internal },
    DriverState: { Name: 'overlay' },
    IPAMOptions: { Driver: { Name: 'default' }, Configs: [{ Subnet: opts.subnet, ...(opts.gateway && { Gateway: opts.gateway }) }] },
  };
}
