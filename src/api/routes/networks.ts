// /networks: create, list, inspect, remove swarm-scoped networks (driver overlay). The API is the
// only writer of Network objects, and it allocates a network's subnet once, at create, from
// Swarm's default pool when none is given. Agents turn each into a bridge network on their engine.

import type { FastifyInstance } from 'fastify';
import { InvalidArgumentError, NameConflictError, NotFoundError, UnavailableError, stateRank } from '../../types/index.js';
import type { IPAMConfig, Network, NetworkSpec, Task } from '../../types/index.js';
import type { ReadTx, Store } from '../../store/index.js';
import { newId } from '../../common/ids.js';
import { allocateSubnet, defaultGateway, overlaps, parseCidr } from '../../common/subnets.js';
import { allLabels, anyExact, anyPrefix, checkValues, parseFilters } from '../http/filters.js';
import type { ById } from '../http/http.js';
import { findNetwork } from '../http/lookup.js';
import { apiNetwork } from '../present/present.js';
import { inForce, validateNetworkCreate } from '../validate/validate-network.js';

const NETWORK_FILTERS = ['dangling', 'driver', 'id', 'label', 'name', 'scope', 'type'];

export function networkRoutes(app: FastifyInstance, store: Store): void {
  app.get<{ Querystring: { filters?: string } }>('/networks', (request) => {
    const f = parseFilters(request.query.filters, NETWORK_FILTERS);
    checkValues(f, 'type', ['custom', 'builtin']);
    checkValues(f, 'scope', ['swarm', 'global', 'local']);
    checkValues(f, 'dangling', ['true', 'false', '1', '0']);
    const dangling = f.get('dangling')?.map((v) => v === 'true' || v === '1');
    return store.view((tx) => {
      const used = usedNetworks(tx);
      return tx.networks
        .list()
        .filter(
          (n) =>
            anyPrefix(f.get('id'), n.ID) &&
            anyPrefix(f.get('name'), n.Spec.Name) &&
            allLabels(f.get('label'), n.Spec.Labels) &&
            anyExact(f.get('driver'), n.DriverState?.Name ?? 'overlay') &&
            anyExact(f.get('scope'), 'swarm') &&
            // Every network on a Berth swarm is a user's: none is built in.
            anyExact(f.get('type'), 'custom') &&
            (!dangling || dangling.includes(!used.has(n.ID))),
        )
        .sort((a, b) => a.Spec.Name.localeCompare(b.Spec.Name))
        .map(apiNetwork);
    });
  });

  app.post('/networks/create', (request, reply) => {
    const spec = validateNetworkCreate(request.body);
    const created = store.update((tx) => {
      // The Engine checks names before anything else, with this wording (libnetwork NetworkNameError).
      if (tx.networks.byName(spec.Name)) throw new NameConflictError(`network with name ${spec.Name} already exists`);
      const configs = ipamInForce(tx, spec);
      return tx.networks.create({
        ID: newId(),
        Version: { Index: 0 },
        CreatedAt: '',
        UpdatedAt: '',
        Spec: spec,
        DriverState: { Name: 'overlay', ...(spec.DriverConfiguration?.Options && { Options: spec.DriverConfiguration.Options }) },
        IPAMOptions: { Driver: spec.IPAMOptions?.Driver ?? { Name: 'default' }, Configs: configs },
      });
    });
    return reply.code(201).send({ Id: created.ID, Warning: '' });
  });

  app.get<ById>('/networks/:id', (request) => {
    // ?scope= narrows the lookup; every Berth network is swarm-scoped, so another scope finds none.
    const scope = request.query.scope;
    if (scope && scope !== 'swarm') throw new NotFoundError(`network ${request.params.id} not found`);
    return store.view((tx) => apiNetwork(findNetwork(tx, request.params.id)));
  });

  app.delete<ById>('/networks/:id', (request, reply) => {
    store.update((tx) => {
      const network = findNetwork(tx, request.params.id);
      checkUnused(tx, network);
      tx.networks.delete(network.ID);
    });
    return reply.code(204).send();
  });
}

/**
 * ipamInForce gives the subnet a new network runs on: the one asked for (refused when it
 * overlaps another Berth network: on one node both are bridges of the same host), else the
 * first free /24 of the default pool.
 */
function ipamInForce(tx: ReadTx, spec: NetworkSpec): IPAMConfig[] {
  const taken = tx.networks.list().flatMap((n) => (n.IPAMOptions?.Configs ?? []).map((c) => ({ network: n, subnet: c.Subnet ?? '' })));
  const asked = spec.IPAMOptions?.Configs ?? [];
  if (asked.length > 0) {
    for (const c of asked) {
      const mine = parseCidr(c.Subnet ?? '')!;
      const clash = taken.find((t) => {
        const theirs = parseCidr(t.subnet);
        return theirs !== undefined && overlaps(mine, theirs);
      });
      if (clash) {
        throw new InvalidArgumentError(
          `ipam configuration: subnet ${c.Subnet} overlaps subnet ${clash.subnet} of network ${clash.network.Spec.Name}: choose a subnet no other network uses`,
        );
      }
    }
    return asked.map(inForce);
  }
  const subnet = allocateSubnet(taken.map((t) => t.subnet));
  if (!subnet) throw new UnavailableError('no free subnet left in the default address pool 10.0.0.0/8: give the network a --subnet, or remove unused networks');
  return [{ Subnet: subnet, Gateway: defaultGateway(subnet) }];
}

/** Networks that a service or a still-running task is attached to. */
function usedNetworks(tx: ReadTx): Set<string> {
  const used = new Set<string>();
  for (const s of tx.services.list()) for (const n of s.Spec.TaskTemplate?.Networks ?? []) if (n.Target) used.add(n.Target);
  for (const t of tx.tasks.list()) {
    if (!stillRuns(tx, t)) continue;
    for (const a of t.NetworksAttachments ?? []) used.add(a.Network.ID);
  }
  return used;
}

/**
 * checkUnused refuses to remove a network a service uses, or a task that still runs (Swarm's
 * controlapi removeNetwork, answered 400 as the Engine maps FailedPrecondition).
 */
function checkUnused(tx: ReadTx, network: Network): void {
  const name = network.Spec.Name;
  const service = tx.services.list().find((s) => (s.Spec.TaskTemplate?.Networks ?? []).some((n) => n.Target === network.ID));
  if (service) {
    throw new InvalidArgumentError(
      `network ${name} (${network.ID}) is in use by service ${service.Spec.Name} (${service.ID}): remove the service, or detach it with docker service update --network-rm ${name} ${service.Spec.Name}, first`,
    );
  }
  const task = tx.tasks.list().find((t) => stillRuns(tx, t) && (t.NetworksAttachments ?? []).some((a) => a.Network.ID === network.ID));
  if (task) {
    throw new InvalidArgumentError(`network ${name} (${network.ID}) is in use by task ${task.ID} of service ${task.BerthService.Name}: wait for it to stop, then retry`);
  }
}

/**
 * Swarm's test for a task that may still use its networks: wanted and not yet ended. A task
 * whose service is gone is on its way out (the orchestrator shuts it down in its next pass), so
 * it does not hold the network: `docker stack rm` removes the services and then, at once, the
 * networks. The agents remove their engine networks once the last container has left.
 */
function stillRuns(tx: ReadTx, t: Task): boolean {
  if (!tx.services.get(t.ServiceID)) return false;
  return stateRank(t.DesiredState) <= stateRank('running') && stateRank(t.Status.State) <= stateRank('running');
}
