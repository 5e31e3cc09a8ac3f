// The allocator moves new tasks to pending once what they need outside any node is allocated:
// their network attachments (swarmkit's network allocator votes the same way). A task attached
// to networks gets NetworksAttachments — each Network object as it stands, with the names the
// task answers to on it — which its agent turns into engine networks and DNS aliases. Subnets are
// not allocated here: the API gives every network its subnet when it creates it.

import type { Logger } from '../common/log.js';
import { silentLogger } from '../common/log.js';
import { now } from '../common/time.js';
import { driveLoop, type Commit, type ReadTx, type Store } from '../store/index.js';
import type { NetworkAttachment, Task } from '../types/index.js';

export class Allocator {
  readonly #fresh = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly log: Logger = silentLogger(),
  ) {}

  run(signal: AbortSignal): Promise<void> {
    return driveLoop(this.store, signal, this, { onError: (err) => this.log.error({ err }, 'allocator pass failed') });
  }

  init(tx: ReadTx): void {
    this.#fresh.clear();
    for (const t of tx.tasks.list()) if (t.Status.State === 'new') this.#fresh.add(t.ID);
  }

  observe(commit: Commit): void {
    for (const c of commit.changes) {
      if (c.kind !== 'task') continue;
      if (c.action !== 'delete' && c.object.Status.State === 'new') this.#fresh.add(c.object.ID);
      else this.#fresh.delete(c.object.ID);
    }
  }

  reconcile(): undefined {
    if (this.#fresh.size === 0) return;
    const waiting: string[] = [];
    this.store.update((tx) => {
      for (const id of this.#fresh) {
        const t = tx.tasks.get(id);
        if (!t || t.Status.State !== 'new') continue;
        const attachments = attachmentsFor(tx, t);
        if (typeof attachments === 'string') {
          // Only a network removed between the service's update and this pass: the task waits
          // (as Swarm's allocator retries), and says why.
          waiting.push(id);
          if (t.Status.Message !== attachments) tx.tasks.update({ ...t, Status: { ...t.Status, Message: attachments, Timestamp: now() } });
          continue;
        }
        tx.tasks.update({
          ...t,
          ...(attachments.length > 0 && { NetworksAttachments: attachments }),
          Status: { ...t.Status, State: 'pending', Message: 'pending task scheduling', Timestamp: now() },
        });
      }
    });
    this.#fresh.clear();
    if (waiting.length > 0) this.log.warn({ tasks: waiting }, 'tasks wait for networks that no longer exist');
  }
}

/**
 * attachmentsFor gives the task's network attachments, or why they cannot be made. A task
 * answers on each network to its service's name, `tasks.<service>` and the spec's aliases.
 */
export function attachmentsFor(tx: ReadTx, t: Task): NetworkAttachment[] | string {
  const service = t.BerthService.Name;
  const out: NetworkAttachment[] = [];
  for (const config of t.Spec.Networks ?? []) {
    const network = tx.networks.get(config.Target ?? '');
    if (!network) return `pending network allocation: network ${config.Target} not found`;
    const aliases = [service, `tasks.${service}`, ...(config.Aliases ?? [])].filter((a, i, all) => a && all.indexOf(a) === i);
    out.push({ Network: network, BerthAliases: aliases });
  }
  return out;
}
