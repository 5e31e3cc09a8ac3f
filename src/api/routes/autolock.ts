// Autolock in the API of an unlocked manager: `docker swarm update --autolock=true|false` and
// `docker swarm unlock-key --rotate` (POST /swarm/update applies them through applyAutolock; GET
// /swarm/unlockkey shows the key), and POST /swarm/unlock, which only a locked manager
// (../locked.ts) accepts.

import type { FastifyInstance } from 'fastify';
import { ConflictError, InvalidArgumentError, NotImplementedError, type Cluster } from '../../types/index.js';

/** The manager's autolock as the API drives it. Changes are synchronous: they run inside the cluster update. */
export interface AutolockControl {
  readonly on: boolean;
  /** The current unlock key, '' when autolock is off. */
  readonly unlockKey: string;
  enable(): void;
  disable(): void;
  rotate(): void;
}

/**
 * applyAutolock makes the keys on disk follow the updated spec's AutoLockManagers, or seals
 * them under a new key when `rotate` (rotateManagerUnlockKey) is asked. The update's
 * transaction calls it last, so a refused update changes nothing and a failure here undoes it.
 */
export function applyAutolock(autolock: AutolockControl | undefined, spec: Cluster['Spec'], rotate: boolean): void {
  const on = spec.EncryptionConfig?.AutoLockManagers ?? false;
  if (!autolock) {
    if (on || rotate) throw new NotImplementedError('autolock needs the keys of a manager started from a data dir; this API has none');
    return;
  }
  if (rotate && !on) throw new InvalidArgumentError('cannot rotate the manager unlock key because autolock is not turned on: turn it on with `docker swarm update --autolock=true`');
  if (on && !autolock.on) autolock.enable();
  else if (!on && autolock.on) autolock.disable();
  else if (rotate) autolock.rotate();
}

export function autolockRoutes(app: FastifyInstance): void {
  // The Engine's answer (moby daemon/cluster notLockedError); a locked manager serves its own API.
  app.post('/swarm/unlock', () => {
    throw new ConflictError('swarm is not locked');
  });
}
