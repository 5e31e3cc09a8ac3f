// Autolock in the API of an unlocked manager: `docker swarm update --autolock=true|false` and
// `docker swarm unlock-key --rotate` (POST /swarm/update applies them through applyAutolock; GET
// /swarm/unlockkey shows the key), and POST /swarm/unlock, which only a locked manager
// (../locked.ts) accepts. The API only keeps the key in the store; every manager seals its own
// key files with it (manager/autolock-sync.ts), so one change locks all of them.

import type { FastifyInstance } from 'fastify';
import { newUnlockKey, type ReadTx, type Tx } from '../../store/index.js';
import { ConflictError, InvalidArgumentError, MANAGER_UNLOCK_KEY_ID, type Cluster } from '../../types/index.js';

/**
 * applyAutolock makes the stored unlock key follow the updated spec's AutoLockManagers: a new
 * key when turned on or when `rotate` (rotateManagerUnlockKey) is asked, none when off. It runs
 * in the update's transaction, so a refused update changes no key.
 */
export function applyAutolock(tx: Tx, spec: Cluster['Spec'], rotate: boolean): void {
  const on = spec.EncryptionConfig?.AutoLockManagers ?? false;
  if (rotate && !on) throw new InvalidArgumentError('cannot rotate the manager unlock key because autolock is not turned on: turn it on with `docker swarm update --autolock=true`');
  const row = tx.managerUnlockKeys.get(MANAGER_UNLOCK_KEY_ID);
  if (on && !row) tx.managerUnlockKeys.create({ ID: MANAGER_UNLOCK_KEY_ID, Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Key: newUnlockKey() });
  else if (on && rotate) tx.managerUnlockKeys.update({ ...row!, Key: newUnlockKey() });
  else if (!on && row) tx.managerUnlockKeys.delete(row.ID);
}

/** unlockKey is the cluster's current unlock key, '' when autolock is off. */
export function unlockKey(tx: ReadTx): string {
  return tx.managerUnlockKeys.get(MANAGER_UNLOCK_KEY_ID)?.Key ?? '';
}

export function autolockRoutes(app: FastifyInstance): void {
  // The Engine's answer (moby daemon/cluster notLockedError); a locked manager serves its own API.
  app.post('/swarm/unlock', () => {
    throw new ConflictError('swarm is not locked');
  });
}
