// Published ports: Service.Endpoint for a spec, and the cluster-wide uniqueness of published
// ports that Swarm's control API checks (controlapi checkPortConflicts).

import { InvalidArgumentError } from '../../types/index.js';
import type { EndpointPortConfig, Service, ServiceSpec } from '../../types/index.js';
import type { ReadTx } from '../../store/index.js';
import { portKey, publishMode } from '../validate/validate-service.js';

/**
 * endpointFor gives the Endpoint of a service with this spec: its ports with Swarm's defaults
 * filled in. A port published as 0 stays 0: agents let the node's engine choose it (Berth has
 * no routing mesh that would need one number cluster-wide).
 */
export function endpointFor(spec: ServiceSpec): NonNullable<Service['Endpoint']> {
  const ports = (spec.EndpointSpec?.Ports ?? []).map(
    (p): EndpointPortConfig => ({
      ...(p.Name && { Name: p.Name }),
      Protocol: p.Protocol ?? 'tcp',
      TargetPort: p.TargetPort,
      PublishedPort: p.PublishedPort ?? 0,
      PublishMode: publishMode(p),
    }),
  );
  return { Spec: spec.EndpointSpec ?? {}, Ports: ports };
}

/**
 * checkPortConflicts refuses a published port another service already publishes. As in Swarm,
 * an ingress port belongs to the whole cluster, so it clashes with any use of that number; two
 * host-mode ports may share one (the scheduler keeps their tasks on different nodes).
 */
export function checkPortConflicts(tx: ReadTx, spec: ServiceSpec, selfId?: string): void {
  const wanted = (spec.EndpointSpec?.Ports ?? []).filter((p) => p.PublishedPort);
  if (wanted.length === 0) return;
  for (const other of tx.services.list()) {
    if (other.ID === selfId) continue;
    for (const theirs of other.Spec.EndpointSpec?.Ports ?? []) {
      const clash = wanted.find(
        (p) => portKey(p) === portKey(theirs) && (publishMode(p) === 'ingress' || publishMode(theirs) === 'ingress'),
      );
      if (clash) {
        const proto = clash.Protocol && clash.Protocol !== 'tcp' ? `/${clash.Protocol}` : '';
        throw new InvalidArgumentError(
          `port ${clash.PublishedPort}${proto} is already in use by service ${other.Spec.Name} (${other.ID}); publish another port or remove it from that service first`,
        );
      }
    }
  }
}
