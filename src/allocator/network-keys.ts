// The IPsec keys of encrypted overlay networks (Cluster.BerthNetworkKeys): the first is made when
// the first encrypted network exists, and a new one every 12 hours after, as Swarm's key manager
// rotates them; the newest two are kept, so nodes accept the previous key while they move over.
// The dispatcher sends them to the nodes whose network view has an encrypted network.

import { randomBytes } from 'node:crypto';
import type { Logger } from '../common/log.js';
import { silentLogger } from '../common/log.js';
import { isEncrypted } from '../common/networks.js';
import { now } from '../common/time.js';
import { driveLoop, type Commit, type ReadTx, type Store } from '../store/index.js';
import type { NetworkKey } from '../types/index.js';

/** Swarm's key rotation interval. */
export const KEY_ROTATION_MS = 12 * 60 * 60 * 1000;
const KEPT = 2;
/** AES-256 key and 4-byte salt for rfc4106(gcm(aes)). */
const KEY_BYTES = 36;

export class NetworkKeys {
  #wanted = false;

  constructor(
    private readonly store: Store,
    private readonly log: Logger = silentLogger(),
    private readonly rotationMs = KEY_ROTATION_MS,
  ) {}

  run(signal: AbortSignal): Promise<void> {
    return driveLoop(this.store, signal, this, { onError: (err) => this.log.error({ err }, 'network key pass failed') });
  }

  init(tx: ReadTx): void {
    this.#wanted = tx.networks.list().some(isEncrypted);
  }

  observe(commit: Commit): void {
    for (const c of commit.changes) if (c.kind === 'network' && c.action === 'create' && isEncrypted(c.object)) this.#wanted = true;
  }

  reconcile(): number | undefined {
    if (!this.#wanted) return undefined;
    const next = this.store.update((tx) => {
      const cluster = tx.cluster();
      if (!cluster) return undefined;
      const keys = cluster.BerthNetworkKeys ?? [];
      const due = keys[0] ? Date.parse(keys[0].CreatedAt) + this.rotationMs : 0;
      if (Date.now() < due) return due;
      const key: NetworkKey = { Key: randomBytes(KEY_BYTES).toString('hex'), Serial: (keys[0]?.Serial ?? 0) + 1, CreatedAt: now() };
      tx.clusters.update({ ...cluster, BerthNetworkKeys: [key, ...keys].slice(0, KEPT) });
      this.log.info({ serial: key.Serial }, 'new overlay network key');
      return Date.now() + this.rotationMs;
    });
    return next;
  }
}
