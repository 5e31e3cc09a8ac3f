// The directory's first start: the administrator `admin` exists from the start (Harbor's and
// Portainer's model), with the operator's chosen password or a random one shown once. A store an
// earlier Berth wrote has its registry users moved first (migrate.ts).

import { newId } from '../common/ids.js';
import type { Store } from '../store/index.js';
import { InvalidArgumentError, type User } from '../types/index.js';
import { migrateRegistryUsers } from './migrate.js';
import { hashPassword, randomPassword } from './passwords.js';

export const ADMIN_USER = 'admin';

/**
 * ensureFirstAdmin creates `admin` (with `password`, else a random one) when the directory has no
 * user. It returns the random password it made, so it can be shown once.
 */
export async function ensureFirstAdmin(store: Store, password?: string): Promise<string | undefined> {
  if (store.view((tx) => tx.registryUsers.count() > 0)) store.update((tx) => void migrateRegistryUsers(tx));
  if (store.view((tx) => tx.users.count() > 0)) return undefined;
  // An operator's chosen password is taken as given (scripts and benchmarks set their own); only
  // passwords set through the API must meet the strength rule.
  if (password !== undefined && (password.length === 0 || password.length > 128)) {
    throw new InvalidArgumentError('BERTH_ADMIN_PASSWORD: give the first admin a password of 1 to 128 characters, or unset it for a random one');
  }
  const chosen = password ?? randomPassword();
  const hash = await hashPassword(chosen);
  const created = store.update((tx) => {
    if (tx.users.count() > 0) return false;
    tx.users.create({ ID: newId(), Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: { Name: ADMIN_USER, Role: 'admin', PasswordHash: hash } } satisfies User);
    return true;
  });
  return created && password === undefined ? chosen : undefined;
}
