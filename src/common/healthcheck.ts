// ContainerSpec.Healthcheck is dockerd's key. Berth stored `HealthCheck` before it took that
// spelling: a spec stored then (until the leading manager rewrites it) or a task sent by a manager
// of that version may still carry it, and its healthcheck must still run.

import type { ContainerSpec, HealthConfig } from '../types/index.js';

/** A ContainerSpec that may hold the old key (read only: nothing writes it). */
export interface OldContainerSpec extends ContainerSpec {
  HealthCheck?: HealthConfig;
}

/** The container spec's healthcheck under either spelling; dockerd's wins when both are there. */
export function specHealthcheck(spec: ContainerSpec | undefined): HealthConfig | undefined {
  return spec?.Healthcheck ?? (spec as OldContainerSpec | undefined)?.HealthCheck;
}
