// The webhook delivery log: each policy's latest deliveries, kept in memory for the API and written
// to the storage driver (`webhook-deliveries/<policy id>`) at most once a second per policy, so it
// outlives restarts without a write per pulled manifest. A delivery still pending when the log is
// read at start never finished: the process stopped during it, and it is recorded as failed.

import type { Logger } from '../../common/log.js';
import type { StorageDriver } from '../storage/storage-driver.js';
import type { Delivery } from './webhooks.js';

const PREFIX = 'webhook-deliveries';
const KEEP = 50;
const FLUSH_MS = 1000;

export class DeliveryLog {
  readonly #logs = new Map<string, Delivery[]>();
  readonly #dirty = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly driver: StorageDriver | undefined,
    private readonly log: Logger | undefined,
  ) {}

  /** inMemory keeps deliveries for this process only. */
  static inMemory(): DeliveryLog {
    return new DeliveryLog(undefined, undefined);
  }

  /** open reads the stored logs of every policy. */
  static async open(driver: StorageDriver, log: Logger): Promise<DeliveryLog> {
    const deliveries = new DeliveryLog(driver, log);
    for (const policyId of await driver.list(PREFIX)) {
      try {
        const stored = JSON.parse((await driver.getContent(`${PREFIX}/${policyId}`)).toString()) as Delivery[];
        for (const d of stored) {
          if (d.status === 'pending') Object.assign(d, { status: 'failed', error: 'interrupted: the registry stopped before the delivery finished' });
        }
        deliveries.#logs.set(policyId, stored.slice(-KEEP));
      } catch (err) {
        log.warn({ err, policy: policyId }, 'registry webhook: skipping an unreadable delivery log');
      }
    }
    return deliveries;
  }

  /** list gives a policy's latest deliveries, newest first. */
  list(policyId: string): Delivery[] {
    return (this.#logs.get(policyId) ?? []).map((d) => ({ ...d })).reverse();
  }

  /** add keeps a new delivery; the caller goes on changing it and says so with changed(). */
  add(policyId: string, delivery: Delivery): void {
    const log = this.#logs.get(policyId) ?? [];
    this.#logs.set(policyId, log);
    log.push(delivery);
    if (log.length > KEEP) log.shift();
    this.changed(policyId);
  }

  /** changed schedules the policy's log to be written. */
  changed(policyId: string): void {
    if (!this.driver) return;
    this.#dirty.add(policyId);
    this.#timer ??= setTimeout(() => void this.flush(), FLUSH_MS).unref();
  }

  /** forget drops a deleted policy's log. */
  forget(policyId: string): void {
    this.#logs.delete(policyId);
    this.#dirty.delete(policyId);
    const driver = this.driver;
    if (driver) this.#flushing = this.#flushing.then(() => driver.delete(`${PREFIX}/${policyId}`)).catch((err: unknown) => this.#failed(err, policyId));
  }

  /** flush writes every changed log now; writes never overlap. */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const driver = this.driver;
    if (!driver) return Promise.resolve();
    // A policy forgotten meanwhile (a delivery to it may still finish) is not written back.
    const batch = [...this.#dirty].filter((id) => this.#logs.has(id)).map((id) => [id, Buffer.from(JSON.stringify(this.#logs.get(id)))] as const);
    this.#dirty.clear();
    this.#flushing = this.#flushing.then(async () => {
      // Losing the last second of a log to a power failure loses nothing a client was promised.
      for (const [id, content] of batch) await driver.putContent(`${PREFIX}/${id}`, content, { durable: false }).catch((err: unknown) => this.#failed(err, id));
    });
    return this.#flushing;
  }

  #failed(err: unknown, policyId: string): void {
    this.log?.warn({ err, policy: policyId }, 'registry webhook: could not write the delivery log');
  }
}
