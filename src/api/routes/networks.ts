// /networks: create, list, inspect, remove and prune swarm-scoped networks (driver overlay). The
// API is the only writer of Network objects, and it allocates a network's subnet (from Swarm's
// default pool when none is given) and its VXLAN ID once, at create. The ingress network (the
// routing mesh's) is made by the manager when the cluster has none (ensureNetworks), or by the
// user with --ingress.

import type { FastifyInstance } from 'fastify';
import { ConflictError, InvalidArgumentError, NameConflictError, NotFoundError, UnavailableError, TUNNEL_SUBNET, VXLAN_ID_OPTION, stateRank } from '../../types/index.js';
import type { IPAMConfig, Network, NetworkSpec, Task } from '../../types/index.js';
import type { ReadTx, Store, Tx } from '../../store/index.js';
import { newId } from '../../common/ids.js';
import { INGRESS_LABEL, INGRESS_NAME, ingressNetwork, isIngress, needsIngress } from '../../common/networks.js';
import { allocateSubnet, defaultGateway, overlaps, parseCidr, type Cidr } from '../../common/subnets.js';
import { allLabels, anyExact, anyPrefix, checkValues, parseFilters } from '../http/filters.js';
import type { ById } from '../http/http.js';
import { parseUntil } from '../http/until.js';
import { findNetwork } from '../../store/index.js';
import { apiNetwork } from '../present/present.js';
import { MAX_VNI, inForce, parseVni, validateNetworkCreate } from '../validate/validate-network.js';

const NETWORK_FILTERS = ['dangling', 'driver', 'id', 'label', 'name', 'scope', 'type'];
const PRUNE_FILTERS = ['label', 'label!', 'until'];

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
            // Docker counts `ingress` as pre-defined (moby IsPreDefinedNetwork); every other network is a user's.
            anyExact(f.get('type'), n.Spec.Name === INGRESS_NAME ? 'builtin' : 'custom') &&
            (!dangling || dangling.includes(!used.has(n.ID))),
        )
        .sort((a, b) => a.Spec.Name.localeCompare(b.Spec.Name))
        .map(apiNetwork);
    });
  });

  app.post('/networks/create', (request, reply) => {
    const spec = validateNetworkCreate(request.body);
    const created = store.update((tx) => addNetwork(tx, spec));
    return reply.code(201).send({ Id: created.ID, Warning: '' });
  });

  app.get<ById>('/networks/:id', (request) => {
    // ?scope= narrows the lookup; every Berth network is swarm-scoped, so another scope finds none.
    const scope = request.query.scope;
    if (scope && scope !== 'swarm') throw new NotFoundError(`network ${request.params.id} not found`);
    return store.view((tx) => apiNetwork(findNetwork(tx, request.params.id)));
  });

  // As the Engine prunes a swarm's networks (moby daemon clusterNetworksPrune): every network no
  // service, running task or attached container uses, except the ingress network, which only an
  // explicit remove takes; filters label, label! and until. Nothing deleted is `null`, as in Go.
  app.post<{ Querystring: { filters?: string } }>('/networks/prune', (request) => {
    const f = parseFilters(request.query.filters, PRUNE_FILTERS);
    const untils = f.get('until') ?? [];
    if (untils.length > 1) throw new InvalidArgumentError('invalid filter \'until\': more than one until filter specified; give one');
    const until = untils[0] === undefined ? undefined : parseUntil(untils[0], Date.now());
    const deleted = store.update((tx) => {
      const unused = tx.networks
        .list()
        .filter(
          (n) =>
            !isIngress(n) &&
            (until === undefined || Date.parse(n.CreatedAt) <= until) &&
            allLabels(f.get('label'), n.Spec.Labels) &&
            !(f.has('label!') && allLabels(f.get('label!'), n.Spec.Labels)) &&
            !networkUse(tx, n),
        )
        .sort((a, b) => a.Spec.Name.localeCompare(b.Spec.Name));
      for (const n of unused) tx.networks.delete(n.ID);
      return unused.map((n) => n.Spec.Name);
    });
    return { NetworksDeleted: deleted.length > 0 ? deleted : null };
  });

  app.delete<ById>('/networks/:id', (request, reply) => {
    store.update((tx) => removeNetwork(tx, findNetwork(tx, request.params.id)));
    return reply.code(204).send();
  });
}

/** addNetwork stores a network from a validated spec, as POST /networks/create does (a stack's networks too). */
export function addNetwork(tx: Tx, spec: NetworkSpec): Network {
  // The Engine checks names before anything else, with this wording (libnetwork NetworkNameError).
  if (tx.networks.byName(spec.Name)) throw new NameConflictError(`network with name ${spec.Name} already exists`);
  const ingress = spec.Ingress ? ingressNetwork(tx.networks.list()) : undefined;
  if (ingress) {
    throw new ConflictError(
      `ingress network (${ingress.ID}) is already present: a swarm has one ingress network; remove ${ingress.Spec.Name} first (no service may publish a port in ingress mode meanwhile)`,
    );
  }
  return createNetwork(tx, spec, ipamInForce(tx, spec));
}

/** removeNetwork removes a network that nothing uses any more, as DELETE /networks/{id} does. */
export function removeNetwork(tx: Tx, network: Network): void {
  checkUnused(tx, network);
  tx.networks.delete(network.ID);
}

/**
 * ensureNetworks runs at every manager start: it makes the ingress network when the cluster has
 * none (as Swarm does: `ingress`, 10.0.0.0/24 unless another network holds it), and gives a
 * VXLAN ID to every network made before Berth had overlays.
 */
export function ensureNetworks(store: Store): void {
  store.update((tx) => {
    for (const n of tx.networks.list()) {
      if (n.DriverState?.Options?.[VXLAN_ID_OPTION]) continue;
      const vni = allocateVni(tx, undefined);
      tx.networks.update({ ...n, DriverState: { Name: 'overlay', Options: { ...n.DriverState?.Options, [VXLAN_ID_OPTION]: String(vni) } } });
    }
    if (ingressNetwork(tx.networks.list()) || tx.networks.byName(INGRESS_NAME)) return;
    const spec: NetworkSpec = {
      Name: INGRESS_NAME,
      Labels: { [INGRESS_LABEL]: 'true' },
      DriverConfiguration: { Name: 'overlay' },
      Ingress: true,
      IPAMOptions: { Driver: { Name: 'default' } },
    };
    const free = !takenSubnets(tx).some((t) => overlaps(parseCidr(DEFAULT_INGRESS_SUBNET)!, t.cidr));
    const configs = free ? [{ Subnet: DEFAULT_INGRESS_SUBNET, Gateway: defaultGateway(DEFAULT_INGRESS_SUBNET) }] : ipamInForce(tx, spec);
    createNetwork(tx, spec, configs);
  });
}

const DEFAULT_INGRESS_SUBNET = '10.0.0.0/24';
/** Swarm's first VXLAN ID: 1–4096 are left to VLAN-style uses. */
const FIRST_VNI = 4097;

function createNetwork(tx: Tx, spec: NetworkSpec, configs: IPAMConfig[]): Network {
  const options = spec.DriverConfiguration?.Options ?? {};
  const vni = allocateVni(tx, options[VXLAN_ID_OPTION]);
  return tx.networks.create({
    ID: newId(),
    Version: { Index: 0 },
    CreatedAt: '',
    UpdatedAt: '',
    Spec: spec,
    // What `docker network inspect` shows as Options, as Swarm's overlay driver state: the spec's options and the VXLAN ID.
    DriverState: { Name: 'overlay', Options: { ...options, [VXLAN_ID_OPTION]: String(vni) } },
    IPAMOptions: { Driver: spec.IPAMOptions?.Driver ?? { Name: 'default' }, Configs: configs },
  });
}

/** allocateVni gives the VXLAN ID asked for (refused when another network has it), else the first free one from 4097. */
function allocateVni(tx: ReadTx, asked: string | undefined): number {
  const used = new Map<number, Network>();
  for (const n of tx.networks.list()) {
    const v = Number(n.DriverState?.Options?.[VXLAN_ID_OPTION]);
    if (v) used.set(v, n);
  }
  if (asked !== undefined) {
    const vni = parseVni(asked)!;
    const holder = used.get(vni);
    if (holder) throw new InvalidArgumentError(`invalid option ${VXLAN_ID_OPTION}=${asked}: network ${holder.Spec.Name} has that VXLAN ID; leave the option out and Berth chooses a free one`);
    return vni;
  }
  for (let v = FIRST_VNI; v <= MAX_VNI; v++) if (!used.has(v)) return v;
  throw new UnavailableError('no free VXLAN ID left: remove unused networks');
}

function takenSubnets(tx: ReadTx): { network: Network; subnet: string; cidr: Cidr }[] {
  return tx.networks.list().flatMap((n) =>
    (n.IPAMOptions?.Configs ?? []).flatMap((c) => {
      const cidr = parseCidr(c.Subnet ?? '');
      return cidr ? [{ network: n, subnet: c.Subnet ?? '', cidr }] : [];
    }),
  );
}

/**
 * ipamInForce gives the subnet a new network runs on: the one asked for (refused when it
 * overlaps another Berth network: on one node both are bridges of the same host), else the
 * first free /24 of the default pool.
 */
function ipamInForce(tx: ReadTx, spec: NetworkSpec): IPAMConfig[] {
  const taken = takenSubnets(tx);
  const asked = spec.IPAMOptions?.Configs ?? [];
  if (asked.length > 0) {
    for (const c of asked) {
      const mine = parseCidr(c.Subnet ?? '')!;
      if (overlaps(mine, parseCidr(TUNNEL_SUBNET)!)) {
        throw new InvalidArgumentError(`ipam configuration: subnet ${c.Subnet} overlaps ${TUNNEL_SUBNET}, where Berth's nodes keep the tunnel of encrypted networks: choose another subnet`);
      }
      const clash = taken.find((t) => overlaps(mine, t.cidr));
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

/** Networks that a service or a still-running task is attached to; the ingress network while a service publishes a port in ingress mode. */
function usedNetworks(tx: ReadTx): Set<string> {
  const used = new Set<string>();
  const ingress = ingressNetwork(tx.networks.list());
  for (const s of tx.services.list()) {
    for (const n of s.Spec.TaskTemplate?.Networks ?? []) if (n.Target) used.add(n.Target);
    if (ingress && needsIngress(s.Spec.EndpointSpec)) used.add(ingress.ID);
  }
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
  const use = networkUse(tx, network);
  if (use) throw new InvalidArgumentError(use);
}

/** networkUse says what keeps a network from being removed, with the way out; undefined when nothing does. */
function networkUse(tx: ReadTx, network: Network): string | undefined {
  const name = network.Spec.Name;
  if (isIngress(network)) {
    const user = tx.services.list().find((s) => needsIngress(s.Spec.EndpointSpec));
    if (user) {
      return `ingress network cannot be removed because service ${user.ID} depends on it: service ${user.Spec.Name} publishes a port in ingress mode; remove the port (docker service update --publish-rm) or the service first`;
    }
  }
  const service = tx.services.list().find((s) => (s.Spec.TaskTemplate?.Networks ?? []).some((n) => n.Target === network.ID));
  if (service) {
    return `network ${name} (${network.ID}) is in use by service ${service.Spec.Name} (${service.ID}): remove the service, or detach it with docker service update --network-rm ${name} ${service.Spec.Name}, first`;
  }
  const task = tx.tasks.list().find((t) => stillRuns(tx, t) && (t.NetworksAttachments ?? []).some((a) => a.Network.ID === network.ID));
  if (task) return `network ${name} (${network.ID}) is in use by task ${task.ID} of service ${task.BerthService.Name}: wait for it to stop, then retry`;
  for (const node of tx.nodes.list()) {
    const plain = node.BerthAttachments?.find((a) => a.NetworkID === network.ID);
    if (plain) {
      return `network ${name} id ${network.ID} has active endpoints (container ${plain.Name} on node ${node.Description.Hostname || node.ID}): stop it, or disconnect it on that node's engine, first`;
    }
  }
  return undefined;
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
