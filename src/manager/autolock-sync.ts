// Every manager — leader or follower — keeps its own key files sealed under the cluster's unlock
// key as the store holds it: sealed when the key appears, re-sealed when it changes (rotation,
// or a manager that was down then and was unlocked with the old key), plain again when it goes.
// The spec's AutoLockManagers must agree with the key before anything changes on disk: a store
// from before the key was stored has the flag and no key until its leader adopts the local one.

import type { Logger } from '../common/log.js';
import { driveLoop, type Commit, type ReadTx, type Store } from '../store/index.js';
import { MANAGER_UNLOCK_KEY_ID } from '../types/index.js';

/** What of autolock.ts this loop drives. */
export interface SealedKeys {
  readonly on: boolean;
  readonly unlockKey: string;
  enable(key: string): void;
  rotate(key: string): void;
  disable(): void;
}

export class AutolockSync {
  /** The key the files are to be sealed with, '' for plain files; undefined while the store disagrees with itself. */
  #wanted: string | undefined;

  constructor(
    private readonly store: Store,
    private readonly keys: SealedKeys,
    private readonly log: Logger,
  ) {}

  run(signal: AbortSignal): Promise<void> {
    return driveLoop(this.store, signal, this, { onError: (err) => this.log.error({ err }, 'sealing the key files with the cluster unlock key failed') });
  }

  init(tx: ReadTx): void {
    this.#read(tx);
  }

  observe(commit: Commit): void {
    if (commit.changes.some((c) => c.kind === 'managerUnlockKey' || c.kind === 'cluster')) this.store.view((tx) => this.#read(tx));
  }

  reconcile(): undefined {
    const wanted = this.#wanted;
    if (wanted === undefined) return;
    if (wanted && !this.keys.on) {
      this.keys.enable(wanted);
      this.log.info('autolock is on: this manager keeps its keys sealed under the unlock key');
    } else if (wanted && this.keys.unlockKey !== wanted) {
      this.keys.rotate(wanted);
      this.log.info('the unlock key changed: this manager sealed its keys under the new one');
    } else if (!wanted && this.keys.on) {
      this.keys.disable();
      this.log.info('autolock is off: this manager keeps its keys as plain files');
    }
    return undefined;
  }

  #read(tx: ReadTx): void {
    const on = tx.cluster()?.Spec.EncryptionConfig?.AutoLockManagers ?? false;
    const key = tx.managerUnlockKeys.get(MANAGER_UNLOCK_KEY_ID)?.Key ?? '';
    this.#wanted = on === !!key ? key : undefined;
  }
}
