// Berth networks on one node: each becomes a bridge network on the node's engine, named after the
// network and its ID and labelled with the ID, with the subnet the manager allocated and Internal
// honoured. A network with a VXLAN ID is an overlay: its engine network is put on the bridge the
// agent's overlay data path owns (`bo<VNI>`, src/agent/overlay/) with the overlay's MTU, and on
// Podman without the engine's DNS server (Berth's resolver answers on the gateway). Only
// networks this cluster made (the labels) are ever removed, and only once no container is
// attached: another cluster's agent may share the engine.

import type Dockerode from 'dockerode';
import type { Logger } from '../../common/log.js';
import { defaultGateway, formatIPv4, parseCidr } from '../../common/subnets.js';
import { MTU_OPTION, overlayMtu } from '../../common/networks.js';
import type { Network, NetworkAttachment } from '../../types/index.js';
import { VXLAN_ID_OPTION, type NodeNetworkView } from '../../types/network-view.js';
import { TaskError, engineMessage, isTemporary, statusOf } from '../engine/engine-errors.js';
import { engineIsPodman } from '../engine/engine-kind.js';
import { bridgeName, MAX_VNI } from '../overlay/names.js';
import { LABEL_CLUSTER, ownedBy } from './ownership.js';


/** How engines say a subnet is in use (Podman: "already used on the host"; Docker: "overlaps"). */
const SUBNET_TAKEN = /already used|overlap/i;
export const LABEL_NETWORK = 'berth.network.id';
export const LABEL_NETWORK_NAME = 'berth.network.name';


/** engineNetworkName: unique per Berth network, readable in `podman network ls`. */
export function engineNetworkName(n: Network): string {
  return engineNetworkNameOf(n.Spec.Name ?? '', n.ID);
}

export function engineNetworkNameOf(name: string, id: string): string {
  return `berth_${name}_${id.slice(0, 12)}`;
}

/** What an engine network is made from: a task's Network or a node's network view. */
interface EngineNetworkSpec {
  id: string;
  name: string;
  /** The Berth network's name. */
  networkName: string;
  subnet?: string;
  gateway?: string;
  ipRange?: string;
  /** The user gave the subnet (no fallback to one the engine picks). */
  subnetGiven: boolean;
  internal: boolean;
  /**
   * Overlay networks: the bridge the data path owns, its MTU, and the addresses the engine may
   * hand plain containers (the node's block on an attachable network; otherwise none).
   */
  overlay?: { bridge: string; mtu: number; plainRange?: string };
}

/** The overlay's bridge and MTU for a network whose VXLAN ID the manager allocated. */
function overlayOf(n: Network): { bridge: string; mtu: number } | undefined {
  const options = n.DriverState?.Options ?? {};
  const vni = Number((options[VXLAN_ID_OPTION] ?? '').split(',')[0]);
  if (!Number.isInteger(vni) || vni < 1 || vni > MAX_VNI) return undefined;
  // The manager's rule, so the engine network and the view agree.
  return { bridge: bridgeName(vni), mtu: overlayMtu(n) };
}

function specOf(n: Network): EngineNetworkSpec {
  const overlay = overlayOf(n);
  return {
    id: n.ID,
    name: engineNetworkName(n),
    networkName: n.Spec.Name,
    ...subnetOf(n),
    subnetGiven: Boolean(n.Spec.IPAMOptions?.Configs?.length),
    internal: n.Spec.Internal ?? false,
    ...(overlay && { overlay }),
  };
}

/** The subnet and gateway the network runs with. */
export function subnetOf(n: Network): { subnet?: string; gateway?: string; ipRange?: string } {
  const c = (n.IPAMOptions ?? n.Spec.IPAMOptions)?.Configs?.[0];
  if (!c?.Subnet) return {};
  return { subnet: c.Subnet, gateway: c.Gateway || defaultGateway(c.Subnet), ipRange: c.IPRange };
}

export class EngineNetworks {
  /**
   * Berth networks whose engine network an earlier Berth made, without the cluster label, and
   * which this cluster's tasks use here: the manager sent their ids, so they may be pruned too.
   */
  readonly #unlabelled = new Set<string>();

  constructor(
    private readonly docker: Dockerode,
    private readonly clusterId: string,
    private readonly log: Logger,
  ) {}

  /** ensure makes sure the engine has a network for each attachment; idempotent. */
  async ensure(attachments: readonly NetworkAttachment[]): Promise<string[]> {
    const gateways: string[] = [];
    for (const a of attachments) {
      await this.ensureOne(specOf(a.Network));
      const gateway = await this.gatewayOf(engineNetworkName(a.Network));
      if (gateway) gateways.push(gateway);
    }
    return gateways;
  }

  /**
   * ensureView makes the engine network of an overlay in the node's view, on the data path's
   * bridge, before any task needs it (OverlayDataPath's beforeAddresses: Podman refuses a subnet
   * once the bridge holds its addresses). Keep such networks out of prune while in the view.
   */
  async ensureView(view: NodeNetworkView): Promise<void> {
    const name = engineNetworkNameOf(view.name, view.id);
    await this.ensureOne({
      id: view.id,
      name,
      networkName: view.name,
      subnet: view.subnet,
      gateway: view.gateway,
      subnetGiven: true,
      internal: view.internal,
      overlay: { bridge: bridgeName(view.vni), mtu: view.mtu, ...(view.attachable && view.attachableRange && { plainRange: view.attachableRange }) },
    });
  }

  /** The gateway the engine gave the network (its DNS server on Podman); it differs from the allocated one after a subnet fallback. */
  private async gatewayOf(name: string): Promise<string | undefined> {
    const info = await this.docker.getNetwork(name).inspect();
    return (info.IPAM?.Config as { Gateway?: string }[] | undefined)?.find((c) => c.Gateway)?.Gateway;
  }

  /**
   * prune removes the engine networks this cluster made whose Berth network no held task uses
   * and to which no container is attached (another node's agent may share this engine). Those
   * without the cluster label are left alone, unless one of this agent's tasks used them.
   */
  async prune(inUse: ReadonlySet<string>): Promise<void> {
    const networks = await this.docker.listNetworks({ filters: { label: [LABEL_NETWORK] } });
    for (const n of networks) {
      const id = n.Labels?.[LABEL_NETWORK];
      if (!id || inUse.has(id)) continue;
      const cluster = n.Labels?.[LABEL_CLUSTER];
      if (cluster === undefined ? !this.#unlabelled.has(id) : cluster !== this.clusterId) continue;
      let info: Dockerode.NetworkInspectInfo;
      try {
        info = await this.docker.getNetwork(n.Id).inspect();
      } catch (err) {
        if (statusOf(err) === 404) continue;
        throw err;
      }
      if (Object.keys(info.Containers ?? {}).length > 0) continue;
      try {
        await this.docker.getNetwork(n.Id).remove();
        this.#unlabelled.delete(id);
        this.log.info({ network: n.Name }, 'removed an engine network no task uses any more');
      } catch (err) {
        // Gone already, or a container joined meanwhile: both leave nothing to do.
        if (statusOf(err) !== 404 && !/in use|being used|active endpoints/i.test(engineMessage(err))) throw err;
      }
    }
  }

  private async ensureOne(spec: EngineNetworkSpec): Promise<void> {
    if (await this.owned(spec)) return;
    const { name, subnet, gateway, ipRange } = spec;
    try {
      await this.create(spec, subnet && { Subnet: subnet, Gateway: gateway, ...(ipRange && { IPRange: ipRange }) });
      this.log.info({ network: name, subnet, bridge: spec.overlay?.bridge }, 'created an engine network');
    } catch (err) {
      // Another agent on this engine may have made it first.
      if (await this.owned(spec)) return;
      // A subnet Berth picked (the user gave none) may be taken on this host by a network that
      // is not this cluster's: let the engine pick a free one rather than fail every task.
      // Podman answers this with a 500, so it is looked at before the temporary-error retry.
      // Not for overlays: every node must use the network's own subnet.
      if (subnet && !spec.subnetGiven && !spec.overlay && SUBNET_TAKEN.test(engineMessage(err))) {
        this.log.warn({ network: name, subnet, err: engineMessage(err) }, 'the allocated subnet is taken on this host; the engine picks another');
        await this.create(spec, undefined).catch(async (again: unknown) => {
          if (!(await this.owned(spec))) throw again;
        });
        return;
      }
      if (isTemporary(err)) throw err;
      throw new TaskError(`network ${spec.networkName}: the engine refused to create network ${name}${subnet ? ` on subnet ${subnet}` : ''}: ${engineMessage(err)}`);
    }
  }

  private async create(spec: EngineNetworkSpec, ipam: { Subnet: string; Gateway?: string; IPRange?: string } | undefined | ''): Promise<void> {
    const labels = { [LABEL_CLUSTER]: this.clusterId, [LABEL_NETWORK]: spec.id, [LABEL_NETWORK_NAME]: spec.networkName };
    if (spec.overlay && (await engineIsPodman(this.docker))) {
      // Podman's own API: its Docker-compatible create always enables its DNS server (aardvark),
      // which would take the gateway's port 53 from Berth's resolver. netavark uses the bridge as
      // it finds it and leaves it when the last container goes, as the VXLAN port keeps it.
      await this.libpod('/v4.0.0/libpod/networks/create', {
        name: spec.name,
        driver: 'bridge',
        network_interface: spec.overlay.bridge,
        // Berth's forward rule keeps an internal overlay in (src/agent/overlay/ruleset.ts):
        // netavark would turn off forwarding on the bridge, which also stops the VIP's DNAT back
        // into it.
        internal: false,
        dns_enabled: false,
        labels,
        options: { mtu: String(spec.overlay.mtu) },
        ...(ipam && { subnets: [{ subnet: ipam.Subnet, ...(ipam.Gateway && { gateway: ipam.Gateway }), lease_range: plainLeases(spec.overlay.plainRange, ipam.Gateway) }] }),
      });
      return;
    }
    await this.docker.createNetwork({
      Name: spec.name,
      Driver: 'bridge',
      CheckDuplicate: true,
      Internal: spec.internal,
      Labels: labels,
      ...(spec.overlay && { Options: { 'com.docker.network.bridge.name': spec.overlay.bridge, [MTU_OPTION]: String(spec.overlay.mtu) } }),
      ...(ipam && { IPAM: { Driver: 'default', Config: [ipam] } }),
    });
  }

  private libpod(path: string, body: object): Promise<unknown> {
    return new Promise((resolve, reject) =>
      this.docker.modem.dial(
        { path, method: 'POST', options: body, statusCodes: { 200: true, 201: true, 400: 'bad parameter', 409: 'conflict', 500: 'server error' } },
        (err, data) => (err ? reject(err) : resolve(data)),
      ),
    );
  }

  /**
   * owned: the engine has the network and this cluster made it for this network; throws when the
   * name is someone else's. One without the cluster label (an earlier Berth's) is this network's
   * by its id, which no other cluster's networks have.
   */
  private async owned(spec: EngineNetworkSpec): Promise<boolean> {
    let info: Dockerode.NetworkInspectInfo;
    try {
      info = await this.docker.getNetwork(spec.name).inspect();
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw err;
    }
    if (info.Labels?.[LABEL_NETWORK] !== spec.id || !ownedBy(info.Labels, this.clusterId)) {
      throw new TaskError(`network ${spec.networkName}: the engine already has a network named ${spec.name} that this cluster did not make; remove or rename it`);
    }
    if (info.Labels[LABEL_CLUSTER] === undefined) this.#unlabelled.add(spec.id);
    return true;
  }
}

/**
 * Podman's lease range for plain containers on an overlay: the whole block the manager gave this
 * node (its addresses are nobody else's: tasks get theirs from the manager, outside any block).
 * Without a block, the gateway alone: Podman then refuses every plain container ("IPAM error:
 * failed to find free IP in range") rather than hand out an address a task elsewhere may hold.
 */
function plainLeases(block: string | undefined, gateway: string | undefined): { start_ip: string; end_ip: string } | undefined {
  const c = block ? parseCidr(block) : undefined;
  if (c) return { start_ip: formatIPv4(c.base), end_ip: formatIPv4(c.base + 2 ** (32 - c.bits) - 1) };
  return gateway ? { start_ip: gateway, end_ip: gateway } : undefined;
}

/** isNetworkMissing: the engine says a network a container needs does not exist (removed meanwhile). */
export function isNetworkMissing(err: unknown): boolean {
  return /network.*not found|no such network|unable to find network/i.test(engineMessage(err));
}
