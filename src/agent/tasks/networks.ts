// Berth networks on one node: each becomes a bridge network on the node's engine, named after the
// network and its ID and labelled with the ID, with the subnet the manager allocated and Internal
// honoured. Containers on it reach each other by their task's aliases through the engine's DNS
// (Podman: netavark + aardvark-dns). Only networks this cluster made (the labels) are ever
// removed, and only once no container is attached: another cluster's agent may share the engine.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type Dockerode from 'dockerode';
import type { Logger } from '../../common/log.js';
import { defaultGateway } from '../../common/subnets.js';
import type { Network, NetworkAttachment } from '../../types/index.js';
import { TaskError, engineMessage, isTemporary, statusOf } from '../engine/engine-errors.js';
import { LABEL_CLUSTER, ownedBy } from './ownership.js';

const run = promisify(execFile);

/** How engines say a subnet is in use (Podman: "already used on the host"; Docker: "overlaps"). */
const SUBNET_TAKEN = /already used|overlap/i;
export const LABEL_NETWORK = 'berth.network.id';
export const LABEL_NETWORK_NAME = 'berth.network.name';

/** engineNetworkName: unique per Berth network, readable in `podman network ls`. */
export function engineNetworkName(n: Network): string {
  return `berth_${n.Spec.Name}_${n.ID.slice(0, 12)}`;
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
      await this.ensureOne(a.Network);
      const gateway = await this.gatewayOf(engineNetworkName(a.Network));
      if (gateway) gateways.push(gateway);
    }
    return gateways;
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

  /**
   * pinBridgeMac fixes the MAC address of the engine network's bridge, when the engine is Podman
   * on this host. A Linux bridge without a MAC of its own takes the lowest MAC of its ports, so
   * with netavark before 1.9 the gateway's MAC changes as containers come and go; containers
   * keep the old one in their ARP cache and lose their gateway — and with it the network's DNS
   * server — for several seconds. Setting the address the bridge has (an administrator's choice
   * in the kernel's eyes) stops it from following its ports. Best effort: a failure is logged.
   */
  async pinBridgeMac(network: Network): Promise<void> {
    // At every start: netavark removes a bridge with its last container and makes a new one later.
    const name = engineNetworkName(network);
    try {
      const bridge = await this.bridgeOf(name);
      if (!bridge || !/^[\w.-]{1,15}$/.test(bridge)) return;
      // `ip` sees this process's network namespace, the engine's when they share a host.
      const shown = await run('ip', ['-o', 'link', 'show', 'dev', bridge]).catch(() => undefined);
      const mac = /link\/ether ([0-9a-f:]{17})/.exec(shown?.stdout ?? '')?.[1];
      if (!mac) return; // a remote engine, or no bridge yet
      // Setting the address it has is a no-op for traffic and marks it as chosen (NET_ADDR_SET).
      await run('ip', ['link', 'set', 'dev', bridge, 'address', mac]);
      this.log.debug({ network: name, bridge, mac }, 'pinned the bridge MAC address');
    } catch (err) {
      this.log.warn({ network: name, err: engineMessage(err) }, 'could not pin the bridge MAC address');
    }
  }

  /** bridgeOf asks Podman's own API for the network's bridge interface; undefined on other engines. */
  private async bridgeOf(name: string): Promise<string | undefined> {
    const info = await new Promise<unknown>((resolve, reject) =>
      this.docker.modem.dial(
        { path: `/v4.0.0/libpod/networks/${encodeURIComponent(name)}/json`, method: 'GET', statusCodes: { 200: true, 404: 'no such network' } },
        (err, data) => (err ? reject(err) : resolve(data)),
      ),
    ).catch(() => undefined);
    const bridge = (info as { network_interface?: unknown } | undefined)?.network_interface;
    return typeof bridge === 'string' ? bridge : undefined;
  }

  private async ensureOne(network: Network): Promise<void> {
    const name = engineNetworkName(network);
    if (await this.owned(name, network)) return;
    const { subnet, gateway, ipRange } = subnetOf(network);
    try {
      await this.create(name, network, subnet && { Subnet: subnet, Gateway: gateway, ...(ipRange && { IPRange: ipRange }) });
      this.log.info({ network: name, subnet }, 'created an engine network');
    } catch (err) {
      // Another agent on this engine may have made it first.
      if (await this.owned(name, network)) return;
      // A subnet Berth picked (the user gave none) may be taken on this host by a network that
      // is not this cluster's: let the engine pick a free one rather than fail every task.
      // Podman answers this with a 500, so it is looked at before the temporary-error retry.
      if (subnet && !network.Spec.IPAMOptions?.Configs?.length && SUBNET_TAKEN.test(engineMessage(err))) {
        this.log.warn({ network: name, subnet, err: engineMessage(err) }, 'the allocated subnet is taken on this host; the engine picks another');
        await this.create(name, network, undefined).catch(async (again: unknown) => {
          if (!(await this.owned(name, network))) throw again;
        });
        return;
      }
      if (isTemporary(err)) throw err;
      throw new TaskError(`network ${network.Spec.Name}: the engine refused to create network ${name}${subnet ? ` on subnet ${subnet}` : ''}: ${engineMessage(err)}`);
    }
  }

  private async create(name: string, network: Network, ipam: { Subnet: string; Gateway?: string; IPRange?: string } | undefined | ''): Promise<void> {
    await this.docker.createNetwork({
      Name: name,
      Driver: 'bridge',
      CheckDuplicate: true,
      Internal: network.Spec.Internal ?? false,
      Labels: { [LABEL_CLUSTER]: this.clusterId, [LABEL_NETWORK]: network.ID, [LABEL_NETWORK_NAME]: network.Spec.Name },
      ...(ipam && { IPAM: { Driver: 'default', Config: [ipam] } }),
    });
  }

  /**
   * owned: the engine has the network and this cluster made it for this network; throws when the
   * name is someone else's. One without the cluster label (an earlier Berth's) is this network's
   * by its id, which no other cluster's networks have.
   */
  private async owned(name: string, network: Network): Promise<boolean> {
    let info: Dockerode.NetworkInspectInfo;
    try {
      info = await this.docker.getNetwork(name).inspect();
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw err;
    }
    if (info.Labels?.[LABEL_NETWORK] !== network.ID || !ownedBy(info.Labels, this.clusterId)) {
      throw new TaskError(`network ${network.Spec.Name}: the engine already has a network named ${name} that this cluster did not make; remove or rename it`);
    }
    if (info.Labels[LABEL_CLUSTER] === undefined) this.#unlabelled.add(network.ID);
    return true;
  }
}

/** isNetworkMissing: the engine says a network a container needs does not exist (removed meanwhile). */
export function isNetworkMissing(err: unknown): boolean {
  return /network.*not found|no such network|unable to find network/i.test(engineMessage(err));
}
