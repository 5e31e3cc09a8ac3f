// Registry pushes, pulls and deletes of manifests and tags in the audit log (Harbor's project
// logs), for a registry that shares the manager's store (`berth up`). Blobs are left out: a
// push or pull is told by its manifest, and a blob per layer would bury it.

import { newId } from '../common/ids.js';
import type { Store } from '../store/index.js';

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

/** recordRegistryActivity writes the entry for one registry event, if it is one the log keeps. */
export function recordRegistryActivity(store: Store, e: RegistryActivity): void {
  if (!ACTIONS.has(e.action) || e.target === 'blob' || e.actor === undefined) return;
  const ref = e.tag ? `${e.repository}:${e.tag}` : `${e.repository}@${e.digest}`;
  store.update((tx) =>
    tx.auditEntries.create({
      ID: newId(),
      Version: { Index: 0 },
      CreatedAt: '',
      UpdatedAt: '',
      Time: new Date().toISOString(),
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
