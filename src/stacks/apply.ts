// A stack's deploy and removal, each one store transaction: all of it happens or none of it.
// Deploy follows `docker stack deploy --prune`: services that left the file go first, then the
// networks (created when missing), secrets and configs (created, or their labels updated: Swarm
// lets nothing else change), then every service created or updated. An update that changes
// nothing leaves the service as it is (no new tasks). Removal follows `docker stack rm`:
// services, secrets, configs, then networks.

import { NotFoundError, type Config, type Labels, type Network, type Secret, type Service } from '../types/index.js';
import type { ReadTx, Tx } from '../store/index.js';
import { newId } from '../common/ids.js';
import type { StackObjects } from './compose/convert.js';
import { NAMESPACE_LABEL } from './compose/service.js';
import { fieldChanges, type FieldChange } from './diff.js';
import type { Guard, StackEngine } from './engine.js';
import type { Stack } from './kinds.js';

export type ObjectKind = 'service' | 'network' | 'secret' | 'config';

export interface Change {
  Kind: ObjectKind;
  Name: string;
  Action: 'create' | 'update' | 'remove' | 'unchanged';
  /** What an update changes, field by field. */
  Fields?: FieldChange[];
}

export interface DeployResult {
  /** The stack object's ID. */
  ID: string;
  Name: string;
  StackVersion: number;
  DryRun: boolean;
  Warnings: string[];
  Changes: Change[];
}

export interface DeployRequest {
  name: string;
  compose: string;
  env: Record<string, string>;
}

const inStack = (name: string) => (labels: Labels | undefined) => labels?.[NAMESPACE_LABEL] === name;

/** The objects of a stack in the store, by their namespace label. */
export function stackObjects(tx: ReadTx, name: string): { services: Service[]; networks: Network[]; secrets: Secret[]; configs: Config[] } {
  const mine = inStack(name);
  const byName = <T extends { Spec: { Name?: string } }>(a: T, b: T) => (a.Spec.Name ?? '').localeCompare(b.Spec.Name ?? '');
  return {
    services: tx.services.list().filter((s) => mine(s.Spec.Labels)).sort(byName),
    networks: tx.networks.list().filter((n) => mine(n.Spec.Labels)).sort(byName),
    secrets: tx.secrets.list().filter((s) => mine(s.Spec.Labels)).sort(byName),
    configs: tx.configs.list().filter((c) => mine(c.Spec.Labels)).sort(byName),
  };
}

export function deployStack(tx: Tx, engine: StackEngine, guard: Guard, req: DeployRequest, desired: StackObjects, dryRun: boolean): DeployResult {
  const changes: Change[] = [];
  const current = stackObjects(tx, req.name);
  const names = new Set(desired.services.map((s) => s.Name));
  for (const s of current.services) {
    if (names.has(s.Spec.Name)) continue;
    guard.write('services', { Labels: s.Spec.Labels });
    engine.removeService(tx, s);
    changes.push({ Kind: 'service', Name: s.Spec.Name ?? s.ID, Action: 'remove' });
  }
  for (const name of desired.externalNetworks) {
    if (!tx.networks.byName(name)) {
      throw new NotFoundError(`network "${name}" is declared as external, but could not be found. You need to create a swarm-scoped network before the stack is deployed`);
    }
  }
  for (const body of desired.networks) {
    if (current.networks.some((n) => n.Spec.Name === body.Name)) {
      changes.push({ Kind: 'network', Name: body.Name, Action: 'unchanged' });
      continue;
    }
    guard.write('networks', body);
    engine.createNetwork(tx, engine.validateNetwork(body));
    changes.push({ Kind: 'network', Name: body.Name, Action: 'create' });
  }
  for (const body of desired.secrets) changes.push(dataObject(tx, engine, guard, 'secret', body));
  for (const body of desired.configs) changes.push(dataObject(tx, engine, guard, 'config', body));
  for (const desiredSpec of desired.services) {
    const existing = tx.services.byName(desiredSpec.Name!);
    // As the CLI does, a redeploy keeps the service's ForceUpdate: it is no reason to replace tasks.
    const forced = existing?.Spec.TaskTemplate?.ForceUpdate;
    const spec = engine.validateService(forced ? { ...desiredSpec, TaskTemplate: { ...desiredSpec.TaskTemplate, ForceUpdate: forced } } : desiredSpec);
    guard.write('services', spec);
    if (!existing) {
      engine.createService(tx, spec);
      changes.push({ Kind: 'service', Name: spec.Name!, Action: 'create' });
      continue;
    }
    const next = engine.nextService(tx, existing, spec);
    if (next === existing) {
      changes.push({ Kind: 'service', Name: spec.Name!, Action: 'unchanged' });
      continue;
    }
    tx.services.update(next);
    changes.push({ Kind: 'service', Name: spec.Name!, Action: 'update', Fields: fieldChanges(existing.Spec, next.Spec) });
  }
  const stack = saveStack(tx, req, changes.some((c) => c.Action !== 'unchanged'));
  return { ID: stack.ID, Name: req.name, StackVersion: stack.StackVersion, DryRun: dryRun, Warnings: desired.warnings, Changes: changes };
}

function dataObject(tx: Tx, engine: StackEngine, guard: Guard, kind: 'secret' | 'config', body: { Name?: string; Labels?: Labels }): Change {
  const collection = kind === 'secret' ? 'secrets' : 'configs';
  const name = body.Name!;
  const existing: Secret | Config | undefined = kind === 'secret' ? tx.secrets.byName(name) : tx.configs.byName(name);
  const spec = kind === 'secret' ? engine.validateSecret(body) : engine.validateConfig(body);
  if (existing) {
    const next = engine.labelsOnly(kind, existing.Spec, spec);
    const fields = fieldChanges(existing.Spec.Labels ?? {}, next.Labels ?? {}).map((f) => ({ ...f, Field: `Labels.${f.Field}` }));
    if (fields.length === 0) return { Kind: kind, Name: name, Action: 'unchanged' };
    guard.write(collection, spec);
    if (kind === 'secret') tx.secrets.update({ ...(existing as Secret), Spec: next });
    else tx.configs.update({ ...(existing as Config), Spec: next });
    return { Kind: kind, Name: name, Action: 'update', Fields: fields };
  }
  guard.write(collection, spec);
  if (kind === 'secret') engine.createSecret(tx, spec);
  else engine.createConfig(tx, spec);
  return { Kind: kind, Name: name, Action: 'create' };
}

/** saveStack keeps the file and its variables; the version moves when the file, its variables or its objects changed. */
function saveStack(tx: Tx, req: DeployRequest, changed: boolean): Stack {
  const spec = { Name: req.name, Compose: req.compose, ...(Object.keys(req.env).length > 0 && { Env: req.env }) };
  const stored = tx.stacks.byName(req.name);
  if (!stored) return tx.stacks.create({ ID: newId(), Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: spec, StackVersion: 1 });
  const same = stored.Spec.Compose === spec.Compose && JSON.stringify(stored.Spec.Env ?? {}) === JSON.stringify(spec.Env ?? {});
  if (same && !changed) return stored;
  return tx.stacks.update({ ...stored, Spec: spec, StackVersion: stored.StackVersion + 1 });
}

/** removeStack removes everything the stack has, and its stack object; NotFoundError when it has nothing. */
export function removeStack(tx: Tx, engine: StackEngine, guard: Guard, name: string): Change[] {
  const found = stackObjects(tx, name);
  const stack = tx.stacks.byName(name);
  const changes: Change[] = [];
  const gone = (Kind: ObjectKind, o: { ID: string; Spec: { Name?: string } }) => changes.push({ Kind, Name: o.Spec.Name ?? o.ID, Action: 'remove' });
  for (const s of found.services) {
    guard.write('services', { Labels: s.Spec.Labels });
    engine.removeService(tx, s);
    gone('service', s);
  }
  for (const s of found.secrets) {
    guard.write('secrets', { Labels: s.Spec.Labels });
    engine.removeSecret(tx, s);
    gone('secret', s);
  }
  for (const c of found.configs) {
    guard.write('configs', { Labels: c.Spec.Labels });
    engine.removeConfig(tx, c);
    gone('config', c);
  }
  for (const n of found.networks) {
    guard.write('networks', { Labels: n.Spec.Labels });
    engine.removeNetwork(tx, n);
    gone('network', n);
  }
  if (stack) tx.stacks.delete(stack.ID);
  if (!stack && changes.length === 0) throw new NotFoundError(`Nothing found in stack: ${name}`);
  return changes;
}
