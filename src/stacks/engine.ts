// What a stack's deploy and removal do to services, networks, secrets and configs: the Engine
// routes' own writes and checks (src/api implements this; the manager hands it over), so an object
// a stack makes is validated and stored exactly as `docker stack deploy` would have it made
// through POST /services/create and the others.

import type { ReadTx, Tx } from '../store/index.js';
import type { Config, ConfigSpec, Labels, Network, NetworkSpec, Secret, SecretSpec, Service, ServiceSpec } from '../types/index.js';

export interface StackEngine {
  validateService(body: unknown): ServiceSpec;
  createService(tx: Tx, spec: ServiceSpec): Service;
  /** The service after an update to spec (not stored yet); `current` itself when nothing changes. */
  nextService(tx: Tx, current: Service, spec: ServiceSpec): Service;
  removeService(tx: Tx, service: Service): void;
  /** Running and desired tasks, as `docker service ls` counts them. */
  serviceStatus(tx: ReadTx, service: Service): { RunningTasks: number; DesiredTasks: number };
  validateNetwork(body: unknown): NetworkSpec;
  createNetwork(tx: Tx, spec: NetworkSpec): Network;
  removeNetwork(tx: Tx, network: Network): void;
  validateSecret(body: unknown): SecretSpec;
  validateConfig(body: unknown): ConfigSpec;
  /** The stored spec after an update to requested: only labels may change (Swarm's rule). */
  labelsOnly<S extends SecretSpec | ConfigSpec>(kind: 'secret' | 'config', current: S, requested: S): S;
  createSecret(tx: Tx, spec: SecretSpec): Secret;
  createConfig(tx: Tx, spec: ConfigSpec): Config;
  removeSecret(tx: Tx, secret: Secret): void;
  removeConfig(tx: Tx, config: Config): void;
}

export type Collection = 'services' | 'networks' | 'secrets' | 'configs';

/**
 * The caller's limits (src/access, through common/request-scope): a team member creates, changes
 * and removes only what their teams own, and sees only that.
 */
export interface Guard {
  /** Throws as the Engine route would refuse the caller this object (its labels, and a service's references). */
  write(collection: Collection, spec: { Labels?: Labels }): void;
  visible(labels: Labels | undefined): boolean;
}
