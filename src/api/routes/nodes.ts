// /nodes: list, inspect, update (spec only), remove. Nodes themselves are created by the
// dispatcher when an agent joins; the API only lets the user change their spec or drop them.

import type { FastifyInstance } from 'fastify';
import { InvalidArgumentError } from '../../types/index.js';
import type { Node } from '../../types/index.js';
import type { Store } from '../../store/index.js';
import { allLabels, anyExact, anyPrefix, checkValues, parseFilters } from '../http/filters.js';
import { boolParam, versionParam, type ById } from '../http/http.js';
import { findNode, nodeNames } from '../../store/index.js';
import { apiNode } from '../present/present.js';
import type { ManagerView } from '../server.js';
import { validateNodeSpec } from '../validate/validate-node.js';
import { checkManagerRemoval, checkRoleChange, evenManagersWarning } from './node-roles.js';

const NODE_FILTERS = ['id', 'label', 'name', 'role', 'membership', 'node.label'];

export function nodeRoutes(app: FastifyInstance, store: Store, managers?: () => ManagerView): void {
  const present = (n: Node): ReturnType<typeof apiNode> => apiNode(n, managers?.());
  app.get<{ Querystring: { filters?: string } }>('/nodes', (request) => {
    const f = parseFilters(request.query.filters, NODE_FILTERS);
    checkValues(f, 'role', ['manager', 'worker']);
    checkValues(f, 'membership', ['accepted', 'pending']);
    return store.view((tx) =>
      tx.nodes
        .list()
        .filter(
          (n) =>
            anyPrefix(f.get('id'), n.ID) &&
            anyPrefix(f.get('name'), ...nodeNames(n)) &&
            allLabels(f.get('label'), n.Description.Engine?.Labels) &&
            allLabels(f.get('node.label'), n.Spec.Labels) &&
            anyExact(f.get('role'), n.Spec.Role ?? 'worker') &&
            // Every node the dispatcher admits is accepted; Berth has no pending membership.
            anyExact(f.get('membership'), 'accepted'),
        )
        .map(present),
    );
  });

  app.get<ById>('/nodes/:id', (request) => store.view((tx) => present(findNode(tx, request.params.id))));

  app.post<ById>('/nodes/:id/update', (request, reply) => {
    const version = versionParam(request.query.version, 'node');
    const spec = validateNodeSpec(request.body);
    const view = managers?.();
    const warning = store.update((tx) => {
      const node = findNode(tx, request.params.id);
      checkRoleChange(tx.nodes.list(), node, spec.Role, view);
      tx.nodes.update({
        ...node,
        Version: { Index: version },
        // Role and availability are kept when the body leaves them out.
        Spec: { ...spec, Role: spec.Role ?? node.Spec.Role, Availability: spec.Availability ?? node.Spec.Availability },
      });
      return spec.Role && spec.Role !== (node.Spec.Role ?? 'worker') ? evenManagersWarning(tx.nodes.list()) : undefined;
    });
    if (warning) request.log.warn({ node: request.params.id }, warning);
    return reply.code(200).send();
  });

  app.delete<ById>('/nodes/:id', (request, reply) => {
    const force = boolParam(request.query.force);
    store.update((tx) => {
      const node = findNode(tx, request.params.id);
      const name = node.Description.Hostname || node.ID;
      checkManagerRemoval(node, managers?.());
      // A manager-only node's state is its lease in etcd, which only the presented node shows.
      if (!force && present(node).Status.State !== 'down') {
        throw new InvalidArgumentError(
          `node ${name} is not down and can't be removed: stop its agent and wait until the node is down, or remove it with --force`,
        );
      }
      tx.nodes.delete(node.ID);
    });
    return reply.code(200).send();
  });
}
