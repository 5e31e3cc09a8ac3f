// The first start of a registry (no users in the store yet): the system administrator `admin`
// and the public project `library`, as Harbor has them from its installation.

import { newId } from '../../common/ids.js';
import type { Store } from '../../store/index.js';
import { InvalidArgumentError, type RegistryProject, type RegistryUser } from '../../types/index.js';
import { hashPassword, randomPassword } from '../auth/passwords.js';
import { DEFAULT_PROJECT } from './projects.js';

export const ADMIN_USER = 'admin';

const meta = () => ({ ID: newId(), Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '' });

/**
 * bootstrap creates `admin` (with `password`, else a random one) and `library` when the store
 * has no registry user. It returns the random password it made, so it can be shown once.
 */
export async function bootstrap(store: Store, password?: string): Promise<string | undefined> {
  if (store.view((tx) => tx.registryUsers.list().length > 0)) return undefined;
  // An operator's chosen password is taken as given (scripts and benchmarks set their own); only
  // passwords set through the API must meet Harbor's strength rule.
  if (password !== undefined && (password.length === 0 || password.length > 128)) {
    throw new InvalidArgumentError('BERTH_ADMIN_PASSWORD: give the first admin a password of 1 to 128 characters, or unset it for a random one');
  }
  const chosen = password ?? randomPassword();
  const hash = await hashPassword(chosen);
  const created = store.update((tx) => {
    if (tx.registryUsers.list().length > 0) return false;
    tx.registryUsers.create({ ...meta(), Spec: { Name: ADMIN_USER, Admin: true, PasswordHash: hash } } satisfies RegistryUser);
    if (!tx.registryProjects.byName(DEFAULT_PROJECT)) {
      tx.registryProjects.create({ ...meta(), Spec: { Name: DEFAULT_PROJECT, Public: true, Members: [], QuotaBytes: -1 } } satisfies RegistryProject);
    }
    return true;
  });
  return created && password === undefined ? chosen : undefined;
}
