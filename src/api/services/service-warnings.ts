// What Berth does differently from what a service spec asks, said to the user instead of done in
// silence: the create and update responses carry these as Warnings (the docker CLI prints them),
// and `docker service inspect` shows them in UpdateStatus.Message (present.ts). Derived from the
// spec on every read, so nothing stores or clears them.

import type { ServiceSpec } from '../../types/index.js';
import { publishMode } from '../validate/validate-service.js';

export function serviceWarnings(spec: ServiceSpec): string[] {
  const ingress = (spec.EndpointSpec?.Ports ?? []).filter((p) => publishMode(p) === 'ingress');
  if (ingress.length === 0) return [];
  const ports = ingress.map((p) => `${p.PublishedPort || '(any)'}:${p.TargetPort}/${p.Protocol ?? 'tcp'}`).join(', ');
  return [
    `ingress ports ${ports}: Berth has no routing mesh yet, so they are published like mode=host, only on the nodes that run a task of this service (at most one task per node)`,
  ];
}
