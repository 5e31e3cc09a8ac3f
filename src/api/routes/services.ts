// /services: list (with ?status=true counts), create, inspect (?insertDefaults=true), update
// (optimistic on ?version=, server-side rollback), remove. The API owns Spec, PreviousSpec,
// Endpoint and BerthSpecVersion; orchestrators turn them into tasks. UpdateStatus belongs to
// the manager's updater, except at the moment of a user's update or rollback (see updated()).

import { isDeepStrictEqual } from 'node:util';
import { now } from '../../common/time.js';
import type { FastifyInstance } from 'fastify';
import { InvalidArgumentError } from '../../types/index.js';
import type { Service, ServiceSpec } from '../../types/index.js';
import type { ReadTx, Store, Tx } from '../../store/index.js';
import { newId } from '../../common/ids.js';
import { checkPortConflicts, endpointFor } from '../services/endpoint.js';
import { allLabels, anyExact, anyPrefix, checkValues, parseFilters } from '../http/filters.js';
import { boolParam, versionParam, type ById } from '../http/http.js';
import { findNetwork, findService } from '../../store/index.js';
import { apiService } from '../present/present.js';
import { withDefaults } from '../services/service-defaults.js';
import { randomServiceName } from '../services/service-names.js';
import { resolveReferences } from '../services/service-refs.js';
import { serviceStatus } from '../services/service-status.js';
import { checkCredentialLabel, pruneServiceAuths, registryAuthFrom, registryAuthHeader, withPullAuth } from '../services/service-pull-auth.js';
import { modeKind, validateServiceSpec } from '../validate/validate-service.js';

const SERVICE_FILTERS = ['id', 'label', 'name', 'mode', 'runtime'];

export function serviceRoutes(app: FastifyInstance, store: Store): void {
  app.get<{ Querystring: { filters?: string; status?: string } }>('/services', (request) => {
    const f = parseFilters(request.query.filters, SERVICE_FILTERS);
    checkValues(f, 'mode', ['replicated', 'global', 'replicated-job', 'global-job']);
    const withStatus = boolParam(request.query.status);
    return store.view((tx) =>
      tx.services
        .list()
        .filter(
          (s) =>
            anyPrefix(f.get('id'), s.ID) &&
            anyPrefix(f.get('name'), s.Spec.Name) &&
            allLabels(f.get('label'), s.Spec.Labels) &&
            anyExact(f.get('mode'), modeKind(s.Spec)) &&
            anyExact(f.get('runtime'), s.Spec.TaskTemplate?.Runtime || 'container'),
        )
        .map((s) => apiService(s, withStatus ? serviceStatus(s, tx.tasks.byService(s.ID), (id) => tx.nodes.get(id)) : undefined)),
    );
  });

  app.post('/services/create', (request, reply) => {
    const spec = validateServiceSpec(request.body);
    const auth = registryAuthHeader(request.headers);
    const created = store.update((tx) => createService(tx, spec, auth));
    return reply.code(201).send({ ID: created.ID, Warnings: [] });
  });

  app.get<ById>('/services/:id', (request) => {
    const service = store.view((tx) => findService(tx, request.params.id));
    const shown = boolParam(request.query.insertDefaults) ? { ...service, Spec: withDefaults(service.Spec) } : service;
    return apiService(shown);
  });

  app.post<ById>('/services/:id/update', (request) => {
    const version = versionParam(request.query.version, 'service');
    const rollback = request.query.rollback;
    if (rollback !== undefined && rollback !== '' && rollback !== 'previous') {
      throw new InvalidArgumentError(`invalid rollback '${rollback}': the only rollback is rollback=previous`);
    }
    const spec = rollback === 'previous' ? undefined : validateServiceSpec(request.body);
    const auth = spec && registryAuthHeader(request.headers);
    const authFrom = registryAuthFrom(request.query.registryAuthFrom);
    store.update((tx) => {
      const current = findService(tx, request.params.id);
      if (spec && authFrom === 'previous-spec' && !current.PreviousSpec) throw new InvalidArgumentError(`service ${current.Spec.Name} does not have a previous spec`);
      const carried = authFrom === 'previous-spec' ? current.PreviousSpec : current.Spec;
      const stored = tx.services.update({ ...nextService(tx, current, spec, auth, carried), Version: { Index: version } });
      pruneServiceAuths(tx, current.ID, stored);
    });
    return { Warnings: [] };
  });

  app.delete<ById>('/services/:id', (request, reply) => {
    store.update((tx) => removeService(tx, findService(tx, request.params.id).ID));
    return reply.code(200).send();
  });
}

/** createService stores a new service from a validated spec, as POST /services/create does (a stack's services too). */
export function createService(tx: Tx, spec: ServiceSpec, auth: string | undefined): Service {
  const id = newId();
  const withName = { ...spec, Name: spec.Name || randomServiceName((n) => tx.services.byName(n) !== undefined) };
  const named: ServiceSpec = withPullAuth(tx, id, resolveReferences(tx, withNetworkIds(tx, withName)), auth, undefined);
  checkPortConflicts(tx, named);
  checkCredentialLabel(tx, named);
  return tx.services.create({
    ID: id,
    Version: { Index: 0 },
    CreatedAt: '',
    UpdatedAt: '',
    Spec: named,
    Endpoint: endpointFor(tx, named),
    BerthSpecVersion: tx.index,
    ...jobStatus(named, tx.index),
  });
}

/** removeService removes a service and the pull login it kept, as DELETE /services/{id} does. */
export function removeService(tx: Tx, id: string): void {
  tx.services.delete(id);
  pruneServiceAuths(tx, id, undefined);
}

/**
 * nextService gives the service after an update to a validated spec (a rollback when spec is
 * undefined), with its pull login carried from `carried`; the caller stores it. It is `current`
 * itself when nothing changes.
 */
export function nextService(tx: Tx, current: Service, spec: ServiceSpec | undefined, auth: string | undefined, carried: ServiceSpec | undefined): Service {
  const next = updated(tx, current, spec && withPullAuth(tx, current.ID, withNetworkIds(tx, spec), auth, carried));
  if (spec) checkCredentialLabel(tx, next.Spec);
  return next;
}

/**
 * updated gives the service after an update to `spec`, or after a rollback when spec is
 * undefined. Swarm's rules: the name and the mode never change; the replaced spec becomes
 * PreviousSpec; a rollback swaps the two. An update that changes nothing keeps the spec
 * version, so no task is replaced.
 */
function updated(tx: Tx, current: Service, spec: ServiceSpec | undefined): Service {
  const name = current.Spec.Name;
  let next: ServiceSpec;
  if (spec === undefined) {
    if (!current.PreviousSpec) throw new InvalidArgumentError(`service ${name} does not have a previous spec`);
    // Its networks must still exist (one only a previous spec names may have been removed).
    next = withNetworkIds(tx, current.PreviousSpec);
  } else {
    next = { ...spec, Name: spec.Name || name };
    if (next.Name !== name) {
      throw new InvalidArgumentError(`service ${name} can't be renamed to ${next.Name}: renaming services is not supported`);
    }
    if (modeKind(next) !== modeKind(current.Spec)) {
      throw new InvalidArgumentError(
        `service ${name} can't change mode from ${modeKind(current.Spec)} to ${modeKind(next)}: service mode change is not allowed; remove the service and create it again`,
      );
    }
  }
  next = resolveReferences(tx, next);
  if (isDeepStrictEqual(next, current.Spec)) return current;
  checkPortConflicts(tx, next, current.ID);
  const rollback = spec === undefined;
  // As Swarm's control API does, the request itself resets UpdateStatus (an update) or starts
  // the rollback's: the CLI's progress display reads it right after this call and would
  // otherwise act on the previous update's state (e.g. fail at once on "paused"). From here on
  // the manager's updater is its only writer.
  return {
    ...current,
    Spec: next,
    PreviousSpec: current.Spec,
    Endpoint: endpointFor(tx, next, current),
    BerthSpecVersion: tx.index,
    BerthUpdateKind: rollback ? 'rollback' : 'update',
    UpdateStatus: rollback ? { State: 'rollback_started', StartedAt: now(), Message: 'manually requested rollback' } : undefined,
    BerthUpdateVersion: rollback ? tx.index : undefined,
    ...jobStatus(next, tx.index),
  };
}

/**
 * withNetworkIds resolves the networks a spec attaches to (by name, ID or unique ID prefix, as
 * the Engine's populateNetworkID does) and stores their IDs, so a renamed or recreated network
 * is never mistaken for the one the service was given.
 */
function withNetworkIds(tx: ReadTx, spec: ServiceSpec): ServiceSpec {
  const networks = spec.TaskTemplate?.Networks;
  if (!networks?.length) return spec;
  const resolved = networks.map((n) => ({ ...n, Target: findNetwork(tx, n.Target ?? '').ID }));
  const ids = new Set(resolved.map((n) => n.Target));
  if (ids.size < resolved.length) throw new InvalidArgumentError('invalid ServiceSpec: TaskTemplate.Networks names one network more than once');
  return { ...spec, TaskTemplate: { ...spec.TaskTemplate, Networks: resolved } };
}

/** Every spec change of a job service runs the job again: a new iteration, as Swarm's control API does. */
function jobStatus(spec: ServiceSpec, index: number): Pick<Service, 'JobStatus'> | Record<string, never> {
  if (!spec.Mode?.ReplicatedJob && !spec.Mode?.GlobalJob) return {};
  return { JobStatus: { JobIteration: { Index: index }, LastExecution: now() } };
}
