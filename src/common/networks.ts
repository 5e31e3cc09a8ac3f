// What several loops need to know about networks: which one is the ingress network, whether a
// service's published ports need it (swarmkit's IsIngressNetwork / IsIngressNetworkNeeded), and
// whether an overlay is encrypted.

import type { EndpointPortConfig, EndpointSpec, Network } from '../types/index.js';
import { ENCRYPTED_OPTION, ENCRYPTED_OVERLAY_MTU, OVERLAY_MTU } from '../types/index.js';

/** The ingress network's name and the label Swarm gives it (its "internal" marker). */
export const INGRESS_NAME = 'ingress';
export const INGRESS_LABEL = 'com.docker.swarm.internal';

/** As Swarm: Spec.Ingress, or a network from before that field named `ingress` with the internal label. */
export function isIngress(n: Network): boolean {
  return n.Spec.Ingress === true || (n.Spec.Name === INGRESS_NAME && n.Spec.Labels?.[INGRESS_LABEL] !== undefined);
}

export function ingressNetwork(networks: readonly Network[]): Network | undefined {
  return networks.find(isIngress);
}

export function publishMode(p: EndpointPortConfig): 'ingress' | 'host' {
  return p.PublishMode ?? 'ingress';
}

/** A service needs the routing mesh (and so the ingress network) when it publishes a port in ingress mode. */
export function needsIngress(spec: EndpointSpec | undefined): boolean {
  return (spec?.Ports ?? []).some((p) => publishMode(p) === 'ingress');
}

/** `--opt encrypted` (any value, as Docker's overlay driver reads it). */
export function isEncrypted(n: Network): boolean {
  return (n.Spec.DriverConfiguration?.Options ?? {})[ENCRYPTED_OPTION] !== undefined;
}

/** The overlay driver's MTU option (`--opt com.docker.network.driver.mtu=N`). */
export const MTU_OPTION = 'com.docker.network.driver.mtu';

/** The MTU of an overlay's interfaces: what fits a 1500-byte underlay with VXLAN (and ESP when encrypted), or less when asked. */
export function overlayMtu(n: Network): number {
  const fits = isEncrypted(n) ? ENCRYPTED_OVERLAY_MTU : OVERLAY_MTU;
  const asked = Number(n.Spec.DriverConfiguration?.Options?.[MTU_OPTION]);
  return asked > 0 && asked < fits ? asked : fits;
}

/** The subnet and gateway a network runs on (what the API allocated at create). */
export function networkIpam(n: Network): { Subnet?: string; IPRange?: string; Gateway?: string } | undefined {
  return (n.IPAMOptions ?? n.Spec.IPAMOptions)?.Configs?.[0];
}
