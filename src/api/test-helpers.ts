// Fixtures for the API tests: a real Store behind the app (test/helpers/store.ts: in-memory SQLite,
// or etcd), and seeders for the objects other subsystems write (nodes come from the dispatcher,
// tasks from orchestrators).

import type { FastifyInstance } from 'fastify';
import type { Labels, Node, NodeAvailability, NodeRole, NodeState, Service, ServiceSpec, Task, TaskState } from '../types/index.js';
import type { Store } from '../store/index.js';
import { openTestStore } from '../../test/helpers/store.js';
import { newId } from '../common/ids.js';
import { now } from '../common/time.js';
import { createApiServer, type ApiServerOptions } from './server.js';

export interface TestApi {
  store: Store;
  app: FastifyInstance;
  close(): Promise<void>;
}

export async function testApi(extra: Partial<ApiServerOptions> = {}, nodeId?: string): Promise<TestApi> {
  const store = await openTestStore();
  const app = createApiServer({ store, info: { version: '0.1.0-test', hostname: 'mgr-host', nodeId: () => nodeId }, ...extra });
  return {
    store,
    app,
    close: async () => {
      await app.close();
      store.close();
    },
  };
}

export interface Reply<T = unknown> {
  status: number;
  body: T;
  headers: Record<string, unknown>;
}

/** call sends one request through fastify's inject and decodes a JSON body. */
// Tests read response bodies field by field and assert on them, so the default body type is loose.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function call<T = any>(app: FastifyInstance, method: string, url: string, payload?: unknown): Promise<Reply<T>> {
  const res = await app.inject({
    method: method as 'GET',
    url,
    ...(payload !== undefined && { payload: typeof payload === 'string' ? payload : JSON.stringify(payload), headers: { 'content-type': 'application/json' } }),
  });
  const isJson = String(res.headers['content-type'] ?? '').startsWith('application/json');
  return { status: res.statusCode, body: (isJson ? res.json() : res.body) as T, headers: res.headers };
}

/** filters encodes a filter map as the CLI does: {"key":{"value":true}}. */
export function filters(f: Record<string, string[]>): string {
  const map = Object.fromEntries(Object.entries(f).map(([k, vs]) => [k, Object.fromEntries(vs.map((v) => [v, true]))]));
  return encodeURIComponent(JSON.stringify(map));
}

export interface NodeFields {
  id?: string;
  hostname: string;
  role?: NodeRole;
  state?: NodeState;
  availability?: NodeAvailability;
  labels?: Labels;
  engineLabels?: Labels;
}

export function seedNode(store: Store, f: NodeFields): Node {
  return store.update((tx) =>
    tx.nodes.create({
      ID: f.id ?? newId(),
      Version: { Index: 0 },
      CreatedAt: '',
      UpdatedAt: '',
      Spec: { Role: f.role ?? 'worker', Availability: f.availability ?? 'active', ...(f.labels && { Labels: f.labels }) },
      Description: { Hostname: f.hostname, Platform: { OS: 'linux', Architecture: 'x86_64' }, Engine: { EngineVersion: '5.0.0', ...(f.engineLabels && { Labels: f.engineLabels }) } },
      Status: { State: f.state ?? 'ready', Addr: '10.0.0.2' },
      BerthKeyDigest: 'deadbeef',
    }),
  );
}

export interface TaskFields {
  id?: string;
  slot?: number;
  nodeId?: string;
  state?: TaskState;
  desired?: TaskState;
  /** The service spec version the task was made from; the service's current one by default. */
  specVersion?: number;
}

export function seedTask(store: Store, service: Service, f: TaskFields = {}): Task {
  return store.update((tx) =>
    tx.tasks.create({
      ID: f.id ?? newId(),
      Version: { Index: 0 },
      CreatedAt: '',
      UpdatedAt: '',
      Name: 'internal-name',
      Spec: service.Spec.TaskTemplate ?? {},
      ServiceID: service.ID,
      Slot: f.slot ?? 1,
      ...(f.nodeId && { NodeID: f.nodeId }),
      Status: { Timestamp: now(), State: f.state ?? 'running', Message: 'started' },
      DesiredState: f.desired ?? 'running',
      SpecVersion: { Index: f.specVersion ?? service.BerthSpecVersion },
      BerthService: { Name: service.Spec.Name ?? '', Labels: service.Spec.Labels ?? {} },
    }),
  );
}

export function spec(name: string, extra: Partial<ServiceSpec> = {}): ServiceSpec {
  return { Name: name, TaskTemplate: { ContainerSpec: { Image: 'localhost/berth-demo:1' } }, ...extra };
}

/** createService creates through the API and returns the stored service. */
export async function createService(api: TestApi, s: ServiceSpec): Promise<Service> {
  const res = await call<{ ID: string; message?: string }>(api.app, 'POST', '/v1.41/services/create', s);
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${res.body.message}`);
  return api.store.view((tx) => tx.services.get(res.body.ID)!);
}
