// Registry pushes, pulls and deletes of manifests and tags in the audit log (Harbor's project
// logs), and the changes made through its admin API (users, projects and members, robots,
// policies), for a registry that shares the manager's store (`berth up`). Blobs are left out: a
// push or pull is told by its manifest, and a blob per layer would bury it.

import { newId } from '../common/ids.js';
import type { Store } from '../store/index.js';
import type { AuditAuth } from './kinds.js';

/** What of a registry event (registry/events.ts) the log takes. */
export interface RegistryActivity {
  action: string;
  target: string;
  repository: string;
  digest: string;
  tag?: string;
  actor?: string;
  source?: string;
}

const ACTIONS = new Set(['push', 'pull', 'delete']);

/** A new entry's identity and time. */
const fresh = () => ({ ID: newId(), Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Time: new Date().toISOString() });

/** recordRegistryActivity writes the entry for one registry event, if it is one the log keeps. */
export function recordRegistryActivity(store: Store, e: RegistryActivity): void {
  if (!ACTIONS.has(e.action) || e.target === 'blob' || e.actor === undefined) return;
  const ref = e.tag ? `${e.repository}:${e.tag}` : `${e.repository}@${e.digest}`;
  store.update((tx) =>
    tx.auditEntries.create({
      ...fresh(),
      User: e.actor || 'anonymous',
      Auth: 'registry-token',
      Source: e.source ?? '',
      Action: `repository.${e.action}`,
      Method: e.action === 'pull' ? 'GET' : e.action === 'push' ? 'PUT' : 'DELETE',
      Path: `/v2/${e.repository}/manifests/${e.tag ?? e.digest}`,
      Object: { Kind: 'repository', ID: e.digest, Name: ref },
      Status: e.action === 'push' ? 201 : e.action === 'delete' ? 202 : 200,
    }),
  );
}

/** A change through the registry's admin API (registry/events.ts RegistryAdminActivity). */
export interface RegistryAdminChange {
  method: string;
  path: string;
  status: number;
  actor: string;
  auth: 'password' | 'token' | 'platform-token' | 'platform-session' | 'none';
  source: string;
  error?: string;
  created?: string;
}

const ADMIN_PREFIX = '/berth/v1/registry/';
/** A platform token or session is named as the manager's API names it. */
const AUTHS: Record<RegistryAdminChange['auth'], AuditAuth> = { none: 'none', password: 'registry-login', token: 'registry-token', 'platform-token': 'token', 'platform-session': 'session' };
const VERBS: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'update', DELETE: 'delete' };

/**
 * recordRegistryAdmin writes the entry for one admin API change: `registry-KIND.VERB`, the object
 * named by the path (`/projects/shop/members` is an update of project shop).
 */
export function recordRegistryAdmin(store: Store, c: RegistryAdminChange): void {
  const [collection = '', name, ...rest] = c.path.startsWith(ADMIN_PREFIX) ? c.path.slice(ADMIN_PREFIX.length).split('/') : [];
  const kind = `registry-${collection.replace(/s$/, '')}`;
  // On a collection a POST creates; anything on an object's sub-path (members, a password) changes that object.
  const verb = name === undefined ? (VERBS[c.method] ?? c.method.toLowerCase()) : rest.length > 0 || c.method !== 'DELETE' ? 'update' : 'delete';
  store.update((tx) =>
    tx.auditEntries.create({
      ...fresh(),
      User: c.actor || 'unknown',
      Auth: AUTHS[c.auth],
      Source: c.source,
      Action: `${kind}.${verb}`,
      Method: c.method,
      Path: c.path.slice(0, 512),
      ...((name ?? c.created) !== undefined && { Object: { Kind: kind, Name: decodeURIComponent(name ?? c.created!).slice(0, 256) } }),
      Status: c.status,
      ...(c.error && { Error: c.error }),
    }),
  );
}
