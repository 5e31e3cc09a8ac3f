// Registry users became the platform's users: a store written by an earlier Berth holds them as
// `registryUser` rows. They move once, with their IDs and password hashes; a system
// administrator becomes a cluster admin, any other user gets no cluster role (the manager API
// had no users before, so they gain nothing but their registry rights).

import type { Tx } from '../store/index.js';

/** migrateRegistryUsers moves every registryUser row to the user kind; it returns how many moved. */
export function migrateRegistryUsers(tx: Tx): number {
  const legacy = tx.registryUsers.list();
  for (const old of legacy) {
    tx.registryUsers.delete(old.ID);
    if (tx.users.byName(old.Spec.Name)) continue;
    tx.users.create({
      ID: old.ID,
      Version: { Index: 0 },
      CreatedAt: old.CreatedAt,
      UpdatedAt: '',
      Spec: { Name: old.Spec.Name, ...(old.Spec.Email && { Email: old.Spec.Email }), ...(old.Spec.Admin && { Role: 'admin' as const }), PasswordHash: old.Spec.PasswordHash },
    });
  }
  return legacy.length;
}
