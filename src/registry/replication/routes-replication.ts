// /berth/v1/registry/registries and /replications: remote registry endpoints (passwords never
// returned), a ping that checks reachability and credentials, replication policies, manual runs
// and run history. System administrators only. An endpoint URL the outbound guard refuses
// (loopback, link-local, the cluster's own listeners) is a 400.

import type { Logger } from '../../common/log.js';
import { newId } from '../../common/ids.js';
import { BerthError, InvalidArgumentError, NotFoundError, type RegistryEndpoint, type RegistryEndpointSpec, type ReplicationPolicy } from '../../types/index.js';
import type { Store } from '../../store/index.js';
import type { AdminRoutes } from '../admin/admin.js';
import type { Replicator } from './replication.js';
import { asBody, endpointSpec, policySpec } from './replication-rules.js';

type IdParams = { Params: { id: string } };

/** endpointView is an endpoint as the API shows it: no password, only whether one is set. */
function endpointView(e: RegistryEndpoint): object {
  const { Password, ...spec } = e.Spec;
  return { ID: e.ID, Version: e.Version, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt, Spec: { ...spec, HasPassword: Boolean(Password) } };
}

const findEndpoint = (store: Store, ref: string): RegistryEndpoint => {
  const e = store.view((tx) => tx.registryEndpoints.get(ref) ?? tx.registryEndpoints.byName(ref));
  if (!e) throw new NotFoundError(`registry endpoint ${ref} does not exist`);
  return e;
};
const findPolicy = (store: Store, ref: string): ReplicationPolicy => {
  const p = store.view((tx) => tx.replicationPolicies.get(ref) ?? tx.replicationPolicies.byName(ref));
  if (!p) throw new NotFoundError(`replication policy ${ref} does not exist`);
  return p;
};

/** ping reaches /v2/ with the endpoint's credentials; any failure is a 400 that says why. */
async function ping(replicator: Replicator, spec: RegistryEndpointSpec, log: Logger): Promise<void> {
  const client = replicator.remote(spec);
  try {
    await client.ping();
  } catch (err) {
    if (err instanceof BerthError) {
      if (err.cause) log.info({ registry: spec.Name, detail: (err.cause as Error).message }, 'replication: ping failed');
      throw new InvalidArgumentError(`the registry ${spec.Name} (${spec.URL}) cannot be used: ${err.message}`);
    }
    throw err;
  } finally {
    client.close();
  }
}

export function replicationRoutes(replicator: Replicator): AdminRoutes {
  return (app, { store, guard, log }) => {
    app.get('/registries', async (request) => {
      await guard(request, { admin: true });
      return store.view((tx) => tx.registryEndpoints.list()).sort((a, b) => a.Spec.Name.localeCompare(b.Spec.Name)).map(endpointView);
    });
    app.post('/registries', async (request, reply) => {
      await guard(request, { admin: true });
      const spec = endpointSpec(asBody(request.body));
      await replicator.checkUrl(spec.URL);
      const e = store.update((tx) => tx.registryEndpoints.create({ ID: newId(), Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: spec }));
      return reply.code(201).send(endpointView(e));
    });
    // Checks an endpoint before it is saved (Harbor's "test connection").
    app.post('/registries/ping', async (request, reply) => {
      await guard(request, { admin: true });
      const spec = endpointSpec(asBody(request.body));
      await replicator.checkUrl(spec.URL);
      await ping(replicator, spec, log);
      return reply.code(200).send({ Status: 'ok' });
    });
    app.get<IdParams>('/registries/:id', async (request) => {
      await guard(request, { admin: true });
      return endpointView(findEndpoint(store, request.params.id));
    });
    app.post<IdParams>('/registries/:id/ping', async (request, reply) => {
      await guard(request, { admin: true });
      await ping(replicator, findEndpoint(store, request.params.id).Spec, log);
      return reply.code(200).send({ Status: 'ok' });
    });
    app.put<IdParams>('/registries/:id', async (request) => {
      await guard(request, { admin: true });
      const old = findEndpoint(store, request.params.id);
      const spec = endpointSpec(asBody(request.body), old.Spec);
      await replicator.checkUrl(spec.URL);
      return endpointView(
        store.update((tx) => {
          // Policies refer to endpoints by name: a rename carries them along.
          for (const p of tx.replicationPolicies.list()) {
            if (p.Spec.Endpoint === old.Spec.Name && spec.Name !== old.Spec.Name) tx.replicationPolicies.update({ ...p, Spec: { ...p.Spec, Endpoint: spec.Name } });
          }
          return tx.registryEndpoints.update({ ...old, Spec: spec });
        }),
      );
    });
    app.delete<IdParams>('/registries/:id', async (request, reply) => {
      await guard(request, { admin: true });
      const e = findEndpoint(store, request.params.id);
      store.update((tx) => {
        const users = tx.replicationPolicies.list().filter((p) => p.Spec.Endpoint === e.Spec.Name);
        if (users.length > 0) throw new InvalidArgumentError(`registry endpoint ${e.Spec.Name} is used by replication policies ${users.map((p) => p.Spec.Name).join(', ')}: delete or change them first`);
        tx.registryEndpoints.delete(e.ID);
      });
      return reply.code(204).send();
    });

    const exists = (name: string): boolean => store.view((tx) => tx.registryEndpoints.byName(name) !== undefined);
    app.get('/replications', async (request) => {
      await guard(request, { admin: true });
      return store.view((tx) => tx.replicationPolicies.list()).sort((a, b) => a.Spec.Name.localeCompare(b.Spec.Name));
    });
    app.post('/replications', async (request, reply) => {
      await guard(request, { admin: true });
      const spec = policySpec(asBody(request.body), exists);
      const p = store.update((tx) => tx.replicationPolicies.create({ ID: newId(), Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: spec }));
      return reply.code(201).send(p);
    });
    app.get<IdParams>('/replications/:id', async (request) => {
      await guard(request, { admin: true });
      return findPolicy(store, request.params.id);
    });
    app.put<IdParams>('/replications/:id', async (request) => {
      await guard(request, { admin: true });
      const old = findPolicy(store, request.params.id);
      const spec = policySpec(asBody(request.body), exists, old.Spec);
      return store.update((tx) => tx.replicationPolicies.update({ ...old, Spec: spec }));
    });
    app.delete<IdParams>('/replications/:id', async (request, reply) => {
      await guard(request, { admin: true });
      const p = findPolicy(store, request.params.id);
      store.update((tx) => {
        tx.replicationPolicies.delete(p.ID);
        for (const r of tx.replicationRuns.list()) if (r.PolicyID === p.ID) tx.replicationRuns.delete(r.ID);
      });
      return reply.code(204).send();
    });
    app.post<IdParams>('/replications/:id/run', async (request, reply) => {
      await guard(request, { admin: true });
      const p = findPolicy(store, request.params.id);
      if (!p.Spec.Enabled) throw new InvalidArgumentError(`replication policy ${p.Spec.Name} is disabled: enable it (Enabled: true) to run it`);
      return reply.code(201).send(replicator.run(p.ID, 'manual').run);
    });
    app.get<IdParams>('/replications/:id/runs', async (request) => {
      await guard(request, { admin: true });
      const p = findPolicy(store, request.params.id);
      return store
        .view((tx) => tx.replicationRuns.list())
        .filter((r) => r.PolicyID === p.ID)
        .sort((a, b) => b.StartedAt.localeCompare(a.StartedAt));
    });
  };
}
