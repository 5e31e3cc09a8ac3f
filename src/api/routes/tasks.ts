// /tasks: list and inspect. `docker service ps`, `node ps`, `stack ps` and the CLI's progress
// loop read tasks through these, with the filters Swarm defines, and Berth's `state` (the task's
// observed state: the portal's "failed in the last hour" asks for failed and rejected tasks only).

import type { FastifyInstance } from 'fastify';
import { TASK_STATES } from '../../types/index.js';
import type { Store } from '../../store/index.js';
import { allLabels, anyExact, anyPrefix, checkValues, parseFilters } from '../http/filters.js';
import { findNode, findService, findTask, taskName } from '../../store/index.js';
import type { ById } from '../http/http.js';
import { apiTask } from '../present/present.js';

const TASK_FILTERS = ['id', 'name', 'label', 'service', 'node', 'desired-state', 'state', 'runtime', '_up-to-date'];

export function taskRoutes(app: FastifyInstance, store: Store): void {
  app.get<{ Querystring: { filters?: string } }>('/tasks', (request) => {
    const f = parseFilters(request.query.filters, TASK_FILTERS);
    checkValues(f, 'desired-state', TASK_STATES);
    checkValues(f, 'state', TASK_STATES);
    return store.view((tx) => {
      // As the Engine does, service and node filters accept names and prefixes; an unknown one is a 404.
      const services = f.get('service')?.map((s) => findService(tx, s).ID);
      const nodes = f.get('node')?.map((n) => findNode(tx, n).ID);
      const upToDate = f.has('_up-to-date');
      // The CLI's progress loop and `stack rm` poll by service: use the index when there is one.
      const candidates = services ? [...new Set(services)].flatMap((id) => tx.tasks.byService(id)) : tx.tasks.list();
      return candidates
        .filter(
          (t) =>
            anyPrefix(f.get('id'), t.ID) &&
            anyPrefix(f.get('name'), taskName(t)) &&
            allLabels(f.get('label'), t.BerthService.Labels) &&
            anyExact(nodes, t.NodeID) &&
            anyExact(f.get('desired-state'), t.DesiredState) &&
            anyExact(f.get('state'), t.Status.State) &&
            anyExact(f.get('runtime'), t.Spec.Runtime || 'container') &&
            (!upToDate || t.SpecVersion?.Index === tx.services.get(t.ServiceID)?.BerthSpecVersion),
        )
        .map(apiTask);
    });
  });

  app.get<ById>('/tasks/:id', (request) => store.view((tx) => apiTask(findTask(tx, request.params.id))));
}
