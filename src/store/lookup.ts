// Path lookups as the Engine resolves `/services/{x}`, `/nodes/{x}`, `/tasks/{x}`,
// `/secrets/{x}`, `/configs/{x}`: exact ID,
// then exact name, then a unique ID prefix (moby daemon/cluster/helpers.go).

import { AmbiguousError, NotFoundError } from '../types/index.js';
import type { Config, Network, Node, Secret, Service, Task } from '../types/index.js';
import type { ReadTx, TableReader } from './kinds.js';

export function findService(tx: ReadTx, input: string): Service {
  const byName = tx.services.byName(input);
  return resolve('service', input, tx.services, byName ? [byName] : []);
}

export function findSecret(tx: ReadTx, input: string): Secret {
  const byName = tx.secrets.byName(input);
  return resolve('secret', input, tx.secrets, byName ? [byName] : []);
}

export function findConfig(tx: ReadTx, input: string): Config {
  const byName = tx.configs.byName(input);
  return resolve('config', input, tx.configs, byName ? [byName] : []);
}

export function findNetwork(tx: ReadTx, input: string): Network {
  const byName = tx.networks.byName(input);
  return resolve('network', input, tx.networks, byName ? [byName] : []);
}

export function findNode(tx: ReadTx, input: string): Node {
  return resolve('node', input, tx.nodes, tx.nodes.list().filter((n) => nodeNames(n).includes(input)));
}

export function findTask(tx: ReadTx, input: string): Task {
  return resolve('task', input, tx.tasks, tx.tasks.list().filter((t) => taskName(t) === input));
}

/** A node answers to its hostname and to the name in its spec. */
export function nodeNames(n: Node): string[] {
  return [n.Description.Hostname, n.Spec.Name].filter((s): s is string => !!s);
}

/** Swarm's task name (swarmkit naming.Task): <service>.<slot, or node ID for global>.<task ID>. */
export function taskName(t: Task): string {
  return `${t.BerthService.Name}.${t.Slot || t.NodeID || ''}.${t.ID}`;
}

function resolve<T extends { ID: string }>(kind: string, input: string, table: TableReader<T>, named: T[]): T {
  const exact = input ? table.get(input) : undefined;
  if (exact) return exact;
  const matches = named.length > 0 ? named : input ? table.list().filter((o) => o.ID.startsWith(input)) : [];
  if (matches.length === 0) throw new NotFoundError(`${kind} ${input} not found`);
  if (matches.length > 1) throw new AmbiguousError(`${kind} ${input} is ambiguous (${matches.length} matches found)`);
  return matches[0]!;
}
