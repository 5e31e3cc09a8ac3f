// Published ports: Service.Endpoint for a spec, the cluster-wide uniqueness of published ports
// that Swarm's control API checks (controlapi checkPortConflicts), and the ports Swarm's
// allocator gives ingress ports published as 0. The API writes Endpoint.Spec and Ports; the
// allocator alone writes Endpoint.VirtualIPs, which an update carries over untouched.

import { InvalidArgumentError, UnavailableError } from '../../types/index.js';
import type { EndpointPortConfig, Service, ServiceSpec } from '../../types/index.js';
import type { ReadTx } from '../../store/index.js';
import { ingressNetwork, needsIngress, publishMode } from '../../common/networks.js';
import { portKey } from '../validate/validate-service.js';

/** Swarm's dynamic range for ingress ports published without a number (portallocator). */
const DYNAMIC_PORTS = { first: 30000, last: 32767 };

/**
 * endpointFor gives the Endpoint of a service with this spec: its ports with Swarm's defaults
 * filled in. An ingress port published as 0 gets a free port of the dynamic range, cluster-wide
 * as the routing mesh needs (kept across updates, as Swarm keeps it); a host-mode 0 stays 0, for
 * each node's engine to choose.
 */
export function endpointFor(tx: ReadTx, spec: ServiceSpec, current?: Service): NonNullable<Service['Endpoint']> {
  const taken = new Set<string>();
  for (const s of tx.services.list()) {
    if (s.ID === current?.ID) continue;
    for (const p of publishedPorts(s)) if (p.PublishedPort) taken.add(portKey(p));
  }
  const previous = (current?.Endpoint?.Ports ?? []).filter((p) => publishMode(p) === 'ingress' && isDynamic(p.PublishedPort));
  const ports = (spec.EndpointSpec?.Ports ?? []).map((p): EndpointPortConfig => {
    const port: EndpointPortConfig = {
      ...(p.Name && { Name: p.Name }),
      Protocol: p.Protocol ?? 'tcp',
      TargetPort: p.TargetPort,
      PublishedPort: p.PublishedPort ?? 0,
      PublishMode: publishMode(p),
    };
    if (port.PublishedPort || port.PublishMode !== 'ingress') return port;
    const kept = previous.find((q) => q.TargetPort === port.TargetPort && q.Protocol === port.Protocol && !taken.has(portKey(q)));
    port.PublishedPort = kept?.PublishedPort ?? dynamicPort(port.Protocol ?? 'tcp', taken);
    taken.add(portKey(port));
    return port;
  });
  const vips = current?.Endpoint?.VirtualIPs;
  return { Spec: spec.EndpointSpec ?? {}, Ports: ports, ...(vips && { VirtualIPs: vips }) };
}

const isDynamic = (port: number | undefined): boolean => port !== undefined && port >= DYNAMIC_PORTS.first && port <= DYNAMIC_PORTS.last;

function dynamicPort(protocol: string, taken: Set<string>): number {
  for (let port = DYNAMIC_PORTS.first; port <= DYNAMIC_PORTS.last; port++) if (!taken.has(`${port}/${protocol}`)) return port;
  throw new UnavailableError(`no free port left in the range ${DYNAMIC_PORTS.first}-${DYNAMIC_PORTS.last} for a port published without a number: publish the port with a number (--publish PUBLISHED:TARGET)`);
}

/** The ports a service publishes, as allocated (Endpoint.Ports), or as its spec asks when it has none. */
function publishedPorts(s: Service): EndpointPortConfig[] {
  return s.Endpoint?.Ports ?? s.Spec.EndpointSpec?.Ports ?? [];
}

/**
 * checkPortConflicts refuses a published port another service already publishes. As in Swarm,
 * an ingress port belongs to the whole cluster, so it clashes with any use of that number; two
 * host-mode ports may share one (the scheduler keeps their tasks on different nodes). A service
 * that publishes ingress ports needs the ingress network (Swarm's words when there is none).
 */
export function checkPortConflicts(tx: ReadTx, spec: ServiceSpec, selfId?: string): void {
  if (needsIngress(spec.EndpointSpec) && !ingressNetwork(tx.networks.list())) {
    throw new InvalidArgumentError(
      'service needs ingress network, but no ingress network is present: create one (docker network create -d overlay --ingress ingress) or publish the ports with mode=host',
    );
  }
  const wanted = (spec.EndpointSpec?.Ports ?? []).filter((p) => p.PublishedPort);
  if (wanted.length === 0) return;
  for (const other of tx.services.list()) {
    if (other.ID === selfId) continue;
    for (const theirs of publishedPorts(other)) {
      if (!theirs.PublishedPort) continue;
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
