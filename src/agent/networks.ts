// Berth networks on one node: each becomes a bridge network on the node's engine, named after the
// network and its ID and labelled with the ID, with the subnet the manager allocated and Internal
// honoured. Containers on it reach each other by their task's aliases through the engine's DNS
// (Podman: netavark + aardvark-dns). Only networks Berth made (the label) are ever removed, and
// only once no container is attached.

import type Dockerode from 'dockerode';
import type { Logger } from '../common/log.js';
import { defaultGateway } from '../common/subnets.js';
import type { Network, NetworkAttachment } from '../types/index.js';
import { TaskError, engineMessage, isTemporary, statusOf } from './engine-errors.js';

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
  constructor(
    private readonly docker: Dockerode,
    private readonly log: Logger,
  ) {}

  /** ensure makes sure the engine has a network for each attachment; idempotent. */
  async ensure(attachments: readonly NetworkAttachment[]): Promise<void> {
    for (const a of attachments) await this.ensureOne(a.Network);
  }

  /**
   * prune removes the engine networks Berth made whose Berth network no held task uses and to
   * which no container is attached (another node's agent may share this engine).
   */
  async prune(inUse: ReadonlySet<string>): Promise<void> {
    const networks = await this.docker.listNetworks({ filters: { label: [LABEL_NETWORK] } });
    for (const n of networks) {
      const id = n.Labels?.[LABEL_NETWORK];
      if (!id || inUse.has(id)) continue;
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
        this.log.info({ network: n.Name }, 'removed an engine network no task uses any more');
      } catch (err) {
        // Gone already, or a container joined meanwhile: both leave nothing to do.
        if (statusOf(err) !== 404 && !/in use|being used|active endpoints/i.test(engineMessage(err))) throw err;
      }
    }
  }

  private async ensureOne(network: Network): Promise<void> {
    const name = engineNetworkName(network);
    if (await this.owned(name, network)) return;
    const { subnet, gateway, ipRange } = subnetOf(network);
    try {
      await this.docker.createNetwork({
        Name: name,
        Driver: 'bridge',
        CheckDuplicate: true,
        Internal: network.Spec.Internal ?? false,
        Labels: { [LABEL_NETWORK]: network.ID, [LABEL_NETWORK_NAME]: network.Spec.Name },
        ...(subnet && { IPAM: { Driver: 'default', Config: [{ Subnet: subnet, Gateway: gateway, ...(ipRange && { IPRange: ipRange }) }] } }),
      });
      this.log.info({ network: name, subnet }, 'created an engine network');
    } catch (err) {
      // Another agent on this engine may have made it first.
      if (await this.owned(name, network)) return;
      if (isTemporary(err)) throw err;
      throw new TaskError(`network ${network.Spec.Name}: the engine refused to create network ${name}${subnet ? ` on subnet ${subnet}` : ''}: ${engineMessage(err)}`);
    }
  }

  /** owned: the engine has the network and it is Berth's for this network; throws when the name is someone else's. */
  private async owned(name: string, network: Network): Promise<boolean> {
    let info: Dockerode.NetworkInspectInfo;
    try {
      info = await this.docker.getNetwork(name).inspect();
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw err;
    }
    if (info.Labels?.[LABEL_NETWORK] !== network.ID) {
      throw new TaskError(`network ${network.Spec.Name}: the engine already has a network named ${name} that Berth did not make; remove or rename it`);
    }
    return true;
  }
}

/** isNetworkMissing: the engine says a network a container needs does not exist (removed meanwhile). */
export function isNetworkMissing(err: unknown): boolean {
  return /network.*not found|no such network|unable to find network/i.test(engineMessage(err));
}
