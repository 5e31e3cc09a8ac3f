// Webhooks: each project's policies (store kind registryWebhook) get the project's events as
// Harbor's default JSON payload, POSTed to their URL. With a secret, the body is signed:
// `X-Berth-Signature: sha256=<hex HMAC-SHA256 of the body>`. A delivery that fails (no answer
// within the timeout, a network error, 429 or 5xx) is retried with exponential backoff a bounded
// number of times; every delivery is logged per policy (the last 50, see webhook-log.ts).

import { createHmac, randomUUID } from 'node:crypto';
import type { Logger } from '../common/log.js';
import type { Store } from '../store/index.js';
import type { RegistryWebhook, WebhookEventType } from '../types/index.js';
import type { RegistryEvent, RegistryEvents } from './events.js';
import { projectOf } from './projects.js';
import { DeliveryLog } from './webhook-log.js';

export interface WebhookOptions {
  /** Retries after the first attempt (Harbor's webhook_job_max_retry defaults to 3). */
  retries?: number;
  /** First backoff; each retry waits twice as long as the one before, up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Per attempt (Harbor's webhook_job_http_client_timeout defaults to 3 s). */
  timeoutMs?: number;
  /** Where deliveries are logged; in memory when absent. */
  deliveries?: DeliveryLog;
}

export interface Delivery {
  id: string;
  event: WebhookEventType;
  url: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  /** HTTP status of the last attempt, if it got an answer. */
  statusCode?: number;
  /** Why the last attempt failed. */
  error?: string;
  startedAt: string;
  /** From the first attempt to the last answer. */
  durationMs?: number;
}

/** Harbor's event type names, as receivers written for Harbor expect them. */
const TYPES: Record<WebhookEventType, string> = {
  push: 'PUSH_ARTIFACT',
  pull: 'PULL_ARTIFACT',
  delete: 'DELETE_ARTIFACT',
  quotaExceeded: 'QUOTA_EXCEED',
  replication: 'REPLICATION',
};
/** Deliveries waiting per policy beyond which new ones are dropped (and logged as such). */
const MAX_PENDING = 100;

export const SIGNATURE_HEADER = 'X-Berth-Signature';

/** signature is the header value for a body signed with `secret`. */
export const signature = (secret: string, body: string): string => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

/** Which webhook event type a registry event is, if any: artifact-level events only, not blobs. */
export function webhookEventType(e: RegistryEvent): WebhookEventType | undefined {
  if (e.action === 'quotaExceeded') return 'quotaExceeded';
  if (e.action === 'replicate') return 'replication';
  if (e.target === 'blob') return undefined;
  if (e.action === 'delete') return 'delete';
  return e.target === 'manifest' ? e.action : undefined;
}

export class WebhookNotifier {
  readonly #deliveries: DeliveryLog;
  readonly #pending = new Map<string, number>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #retries: number;
  readonly #backoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #timeoutMs: number;
  #closed = false;

  constructor(
    private readonly store: Store,
    events: RegistryEvents,
    /** host:port of the registry, for resource URLs. */
    private readonly host: () => string,
    private readonly log: Logger,
    opts: WebhookOptions = {},
  ) {
    this.#retries = opts.retries ?? 3;
    this.#backoffMs = opts.backoffMs ?? 1000;
    this.#maxBackoffMs = opts.maxBackoffMs ?? 30_000;
    this.#timeoutMs = opts.timeoutMs ?? 3000;
    this.#deliveries = opts.deliveries ?? DeliveryLog.inMemory();
    events.on((e) => this.#notify(e));
  }

  /** deliveries lists a policy's latest deliveries, newest first. */
  deliveries(policyId: string): Delivery[] {
    return this.#deliveries.list(policyId);
  }

  /** forget drops a deleted policy's log. */
  forget(policyId: string): void {
    this.#deliveries.forget(policyId);
  }

  /** close cancels retries that are waiting and writes the log; deliveries in flight finish on their own. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    await this.#deliveries.flush();
  }

  #notify(e: RegistryEvent): void {
    const type = webhookEventType(e);
    if (!type || this.#closed) return;
    const project = projectOf(e.repository);
    const policies = this.store.view((tx) => tx.registryWebhooks.list()).filter((p) => p.Spec.Project === project && p.Spec.Enabled && p.Spec.Events.includes(type));
    if (policies.length === 0) return;
    const body = JSON.stringify(this.#payload(type, e));
    for (const policy of policies) this.#deliver(policy, type, body);
  }

  #payload(type: WebhookEventType, e: RegistryEvent): unknown {
    const slash = e.repository.lastIndexOf('/');
    const resourceUrl = `${this.host()}/${e.repository}${e.tag ? `:${e.tag}` : `@${e.digest}`}`;
    const eventData: Record<string, unknown> = {
      resources: [{ digest: e.digest, tag: e.tag, resource_url: resourceUrl }],
      repository: {
        name: slash < 0 ? e.repository : e.repository.slice(slash + 1),
        namespace: projectOf(e.repository),
        repo_full_name: e.repository,
      },
    };
    if (type === 'quotaExceeded') eventData.custom_attributes = { details: e.message };
    if (type === 'replication') eventData.replication = { status: e.status, remote: e.remote, message: e.message };
    return { type: TYPES[type], occur_at: Math.floor(Date.now() / 1000), event_data: eventData };
  }

  #deliver(policy: RegistryWebhook, type: WebhookEventType, body: string): void {
    const delivery: Delivery = { id: randomUUID(), event: type, url: policy.Spec.Url, status: 'pending', attempts: 0, startedAt: new Date().toISOString() };
    this.#deliveries.add(policy.ID, delivery);
    const pending = this.#pending.get(policy.ID) ?? 0;
    if (pending >= MAX_PENDING) {
      Object.assign(delivery, { status: 'failed', error: `dropped: ${MAX_PENDING} deliveries to this endpoint are already waiting` });
      this.#deliveries.changed(policy.ID);
      return;
    }
    this.#pending.set(policy.ID, pending + 1);
    const headers: Record<string, string> = { 'Content-Type': 'application/json', 'User-Agent': 'berth-registry', 'X-Berth-Event': TYPES[type], 'X-Berth-Delivery': delivery.id };
    if (policy.Spec.Secret) headers[SIGNATURE_HEADER] = signature(policy.Spec.Secret, body);
    const started = Date.now();
    const finish = (status: 'delivered' | 'failed'): void => {
      delivery.status = status;
      delivery.durationMs = Date.now() - started;
      this.#pending.set(policy.ID, (this.#pending.get(policy.ID) ?? 1) - 1);
      this.#deliveries.changed(policy.ID);
      if (status === 'failed') this.log.warn({ policy: policy.ID, url: policy.Spec.Url, error: delivery.error }, 'registry webhook: delivery failed');
    };
    const attempt = async (): Promise<void> => {
      delivery.attempts++;
      delivery.statusCode = undefined;
      delivery.error = undefined;
      try {
        const res = await fetch(policy.Spec.Url, { method: 'POST', headers, body, signal: AbortSignal.timeout(this.#timeoutMs), redirect: 'manual' });
        await res.arrayBuffer().catch(() => undefined);
        delivery.statusCode = res.status;
        if (res.status >= 200 && res.status < 300) return finish('delivered');
        delivery.error = `the endpoint answered ${res.status}`;
        if (res.status !== 429 && res.status < 500) return finish('failed'); // the receiver refused it: retrying will not help
      } catch (err) {
        delivery.error = (err as Error).name === 'TimeoutError' ? `no answer within ${this.#timeoutMs} ms` : ((err as Error).cause as Error | undefined)?.message || (err as Error).message;
      }
      if (delivery.attempts > this.#retries || this.#closed) return finish('failed');
      this.#deliveries.changed(policy.ID); // the failed attempt shows while the retry waits
      const wait = Math.min(this.#backoffMs * 2 ** (delivery.attempts - 1), this.#maxBackoffMs);
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        void attempt();
      }, wait);
      this.#timers.add(timer);
    };
    void attempt();
  }
}
