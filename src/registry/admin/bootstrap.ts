// The first start of a registry: the directory's first administrator (src/users/bootstrap.ts)
// and the public project `library`, as Harbor has them from its installation.

import { newId } from '../../common/ids.js';
import type { Store } from '../../store/index.js';
import type { RegistryProject } from '../../types/index.js';
import { ensureFirstAdmin } from '../../users/bootstrap.js';
import { DEFAULT_PROJECT } from './projects.js';

export { ADMIN_USER } from '../../users/bootstrap.js';

/**
 * bootstrap creates `admin` (with `password`, else a random one) when the store has no user, and
 * `library` when the registry holds no project or robot yet. It returns the random password it made, so it can be shown once.
 */
export async function bootstrap(store: Store, password?: string): Promise<string | undefined> {
  // Under `berth up` the manager may have made the first admin already: the registry's own first start is when it holds nothing yet.
  const fresh = store.view((tx) => tx.registryProjects.count() === 0 && tx.registryRobots.count() === 0);
  const made = await ensureFirstAdmin(store, password);
  if (fresh) {
    store.update((tx) => {
      if (tx.registryProjects.byName(DEFAULT_PROJECT)) return;
      tx.registryProjects.create({ ID: newId(), Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: { Name: DEFAULT_PROJECT, Public: true, Members: [], QuotaBytes: -1 } } satisfies RegistryProject);
    });
  }
  return made;
}
