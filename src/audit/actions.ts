// What an audited request acts on: its action (`kind.verb`) from the route, and the object it
// names, read from the store before and after so that the entry can say what changed.

import type { ReadTx } from '../store/index.js';

export interface Target {
  kind: string;
  verb: string;
  /** The ID or name the path gives, if any. */
  ref?: string;
}

/** The kinds whose objects the log can show before and after, by the path's collection name. */
const COLLECTIONS: Record<string, { kind: string; read?: (tx: ReadTx) => { ID: string; Spec?: unknown }[] }> = {
  services: { kind: 'service', read: (tx) => tx.services.list() },
  networks: { kind: 'network', read: (tx) => tx.networks.list() },
  nodes: { kind: 'node', read: (tx) => tx.nodes.list() },
  secrets: { kind: 'secret', read: (tx) => tx.secrets.list() },
  configs: { kind: 'config', read: (tx) => tx.configs.list() },
  'registry-credentials': { kind: 'registry-credential', read: (tx) => tx.registryCredentials.list() },
  'client-certificates': { kind: 'client-certificate', read: (tx) => tx.clientCertificates.list() },
  stacks: { kind: 'stack', read: (tx) => tx.stacks.list() },
  swarm: { kind: 'swarm', read: (tx) => { const c = tx.cluster(); return c ? [c] : []; } },
};

/** target reads the action from a route (`/services/:id/update`, `/berth/v1/registry-credentials/:id`) and its params. */
export function target(method: string, route: string, params: Record<string, string | undefined>): Target {
  const parts = route.replace(/^\/berth\/v1\//, '/').split('/').filter(Boolean);
  const collection = parts[0] ?? '';
  const kind = COLLECTIONS[collection]?.kind ?? collection.replace(/s$/, '');
  const last = parts[parts.length - 1] ?? '';
  const ref = params.id ?? params.name;
  let verb: string;
  if (method === 'DELETE') verb = 'delete';
  // A stack's deploy creates or updates it.
  else if (collection === 'stacks' && method === 'POST') verb = 'deploy';
  else if (last === 'create' || (parts.length === 1 && method === 'POST' && collection !== 'swarm')) verb = 'create';
  else if (last === 'update' || method === 'PUT') verb = 'update';
  else verb = last.startsWith(':') ? method.toLowerCase() : last;
  return { kind, verb, ...(ref !== undefined && { ref }) };
}

type Named = { ID: string; Spec?: unknown; Description?: { Hostname?: string } };

/** find gives the object a path names: by ID, then by name, then by a unique ID prefix (as the API resolves them). */
export function find(tx: ReadTx, kind: string, ref: string | undefined): Named | undefined {
  const read = Object.values(COLLECTIONS).find((c) => c.kind === kind)?.read;
  if (!read) return undefined;
  const all = read(tx) as Named[];
  if (kind === 'swarm') return all[0];
  if (!ref) return undefined;
  const name = (o: Named) => (o.Spec as { Name?: string } | undefined)?.Name ?? o.Description?.Hostname;
  const exact = all.find((o) => o.ID === ref) ?? all.find((o) => name(o) === ref);
  if (exact) return exact;
  const prefixed = all.filter((o) => o.ID.startsWith(ref));
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

/** nameOf is what the log shows beside an object's ID. */
export function nameOf(o: Named | undefined): string | undefined {
  return (o?.Spec as { Name?: string } | undefined)?.Name ?? o?.Description?.Hostname;
}
