// Keeps <data-dir>/worker-token equal to the cluster's worker join token, also after
// `docker swarm join-token --rotate worker`, for scripts that start agents.

import { writeFileAtomic } from '../common/files.js';
import type { Logger } from '../common/log.js';
import { driveLoop, type Commit, type ReadTx, type Store } from '../store/index.js';

export class TokenFile {
  #written: string | undefined;
  #wanted: string | undefined;

  constructor(
    private readonly store: Store,
    private readonly file: string,
    private readonly log: Logger,
  ) {}

  run(signal: AbortSignal): Promise<void> {
    return driveLoop(this.store, signal, this, { onError: (err) => this.log.error({ err, file: this.file }, 'writing the worker token file failed') });
  }

  init(tx: ReadTx): void {
    this.#wanted = tx.cluster()?.JoinTokens.Worker;
  }

  observe(commit: Commit): void {
    for (const c of commit.changes) if (c.kind === 'cluster' && c.action !== 'delete') this.#wanted = c.object.JoinTokens.Worker;
  }

  reconcile(): undefined {
    if (!this.#wanted || this.#wanted === this.#written) return;
    writeFileAtomic(this.file, this.#wanted + '\n', 0o600);
    this.#written = this.#wanted;
  }
}
