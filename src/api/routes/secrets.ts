// /secrets and /configs: list, create, inspect, update (labels only), remove (refused while a
// service references the object), as Swarm's control API behind the Engine's swarm routes. One
// implementation serves both kinds; a secret's data is stored (encrypted at rest) and handed to
// agents, but no endpoint ever returns it.

import type { FastifyInstance } from 'fastify';
import { InvalidArgumentError } from '../../types/index.js';
import type { Config, ConfigSpec, Secret, SecretSpec } from '../../types/index.js';
import type { NamedReader, ReadTx, Store, TableWriter, Tx } from '../../store/index.js';
import { newId } from '../../common/ids.js';
import { allLabels, parseFilters, type Filters } from '../http/filters.js';
import { versionParam, type ById } from '../http/http.js';
import { findConfig, findSecret } from '../../store/index.js';
import { apiConfig, apiSecret } from '../present/present.js';
import { referencedIds } from '../services/service-refs.js';
import {
  CONFIG_KIND,
  SECRET_KIND,
  checkConfig,
  checkSecret,
  dataBodyTooLarge,
  labelsOnlyUpdate,
  validateConfigSpec,
  validateSecretSpec,
  type DataKind,
} from '../validate/validate-data-object.js';

interface Routes<T extends Secret | Config> {
  k: DataKind;
  /** Filter keys the Engine accepts for this kind (moby daemon/cluster/filters.go). */
  filters: string[];
  read(tx: ReadTx): NamedReader<T>;
  write(tx: Tx): NamedReader<T> & TableWriter<T>;
  find(tx: ReadTx, input: string): T;
  validate(body: unknown): T['Spec'];
  /** The structure alone, for updates. */
  shape(body: unknown): T['Spec'];
  present(obj: T): unknown;
}

export function secretRoutes(app: FastifyInstance, store: Store): void {
  dataObjectRoutes<Secret>(app, store, {
    k: SECRET_KIND,
    filters: ['id', 'label', 'name', 'names'],
    read: (tx) => tx.secrets,
    write: (tx) => tx.secrets,
    find: findSecret,
    validate: (body): SecretSpec => validateSecretSpec(body),
    shape: (body): SecretSpec => checkSecret(body),
    present: apiSecret,
  });
}

export function configRoutes(app: FastifyInstance, store: Store): void {
  dataObjectRoutes<Config>(app, store, {
    k: CONFIG_KIND,
    filters: ['id', 'label', 'name'],
    read: (tx) => tx.configs,
    write: (tx) => tx.configs,
    find: findConfig,
    validate: (body): ConfigSpec => validateConfigSpec(body),
    shape: (body): ConfigSpec => checkConfig(body),
    present: apiConfig,
  });
}

function dataObjectRoutes<T extends Secret | Config>(app: FastifyInstance, store: Store, r: Routes<T>): void {
  const { kind } = r.k;
  const base = `/${kind}s`;
  // Bodies carry the payload: the kind's own limit, and Swarm's words past it.
  const withData = { bodyLimit: r.k.bodyLimit, config: { bodyTooLarge: () => dataBodyTooLarge(r.k) } };

  app.get<{ Querystring: { filters?: string } }>(base, (request) => {
    const f = parseFilters(request.query.filters, r.filters);
    return store.view((tx) => r.read(tx).list().filter((o) => matches(f, o)).map(r.present));
  });

  app.post(`${base}/create`, withData, (request, reply) => {
    const spec = r.validate(request.body);
    const created = store.update((tx) => addDataObject(r.write(tx), spec));
    return reply.code(201).send({ ID: created.ID });
  });

  app.get<ById>(`${base}/:id`, (request) => store.view((tx) => r.present(r.find(tx, request.params.id))));

  app.post<ById>(`${base}/:id/update`, withData, (request, reply) => {
    const version = versionParam(request.query.version, kind);
    const requested = r.shape(request.body);
    store.update((tx) => {
      const current = r.find(tx, request.params.id);
      r.write(tx).update({ ...current, Spec: labelsOnlyUpdate(r.k, current.Spec, requested), Version: { Index: version } });
    });
    return reply.code(200).send();
  });

  app.delete<ById>(`${base}/:id`, (request, reply) => {
    store.update((tx) => removeDataObject(tx, r.write(tx), kind, r.find(tx, request.params.id)));
    return reply.code(204).send();
  });
}

/** addDataObject stores a secret or config from a validated spec, as POST /secrets/create and /configs/create do. */
export function addDataObject<T extends Secret | Config>(table: TableWriter<T>, spec: T['Spec']): T {
  return table.create({ ID: newId(), Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: spec } as T);
}

/** removeDataObject removes a secret or config no service references, as DELETE /secrets/{id} and /configs/{id} do. */
export function removeDataObject<T extends Secret | Config>(tx: ReadTx, table: TableWriter<T>, kind: 'secret' | 'config', obj: T): void {
  const users = tx.services
    .list()
    .filter((s) => referencedIds(kind, s.Spec).includes(obj.ID))
    .map((s) => s.Spec.Name ?? s.ID)
    .sort();
  if (users.length > 0) {
    // Swarm's wording, plus the way out.
    throw new InvalidArgumentError(
      `${kind} '${obj.Spec.Name}' is in use by the following ${users.length === 1 ? 'service' : 'services'}: ${users.join(', ')}: remove it from ${users.length === 1 ? 'that service' : 'those services'} first (docker service update --${kind}-rm ${obj.Spec.Name} SERVICE)`,
    );
  }
  table.delete(obj.ID);
}

/**
 * Swarm's list semantics (controlapi ListSecrets): `names` (exact), `name` (prefix) and `id`
 * (prefix) are alternatives to one another; `label` must match as well.
 */
function matches(f: Filters, o: Secret | Config): boolean {
  const names = f.get('names');
  const prefixes = f.get('name');
  const ids = f.get('id');
  const name = o.Spec.Name ?? '';
  const selected =
    (!names && !prefixes && !ids) ||
    !!names?.includes(name) ||
    !!prefixes?.some((p) => name.startsWith(p)) ||
    !!ids?.some((p) => o.ID.startsWith(p));
  return selected && allLabels(f.get('label'), o.Spec.Labels);
}
