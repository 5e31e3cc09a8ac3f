// Webhooks: each project's policies (store kind registryWebhook) get the project's events as
// Harbor's default JSON payload, POSTed to their URL. With a secret, the body is signed:
// `X-Berth-Signature: sha256=<hex HMAC-SHA256 of the body>`. A delivery that fails (no answer
// within the timeout, a network error, 429 or 5xx) is retried with exponential backoff a bounded
// number of times; every delivery is logged per policy (the last 50, see webhook-log.ts).
// Every attempt goes through the outbound guard (docs/outbound.md): a refused target is final,
// and an attempt that got no HTTP answer is logged only as "connection failed", so the log cannot
// tell a closed port from a filtered one or from one that does not speak HTTP.

import { createHmac, randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { Logger } from '../../common/log.js';
import { CONNECTION_FAILED, OutboundGuard, OutboundRefusedError } from '../../common/outbound.js';
import type { Store } from '../../store/index.js';
import type { RegistryWebhook, WebhookEventType } from '../../types/index.js';
import type { RegistryEvent, RegistryEvents } from '../events.js';
import { projectOf } from '../admin/projects.js';
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
  /** Checks each delivery's target; the default refuses loopback, link-local and the like. */
  outbound?: OutboundGuard;
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
  /** From the first attempt to the last answer; absent when the last attempt got none. */
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
  readonly #outbound: OutboundGuard;
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
    this.#outbound = opts.outbound ?? new OutboundGuard();
    events.on((e) => this.#notify(e));
  }

  /** checkUrl refuses, when a policy is set, a URL its deliveries would be refused at (a 400 naming `url`). */
  checkUrl(url: string): Promise<void> {
    return this.#outbound.check(url, 'url');
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
    let detail: string | undefined;
    const finish = (status: 'delivered' | 'failed'): void => {
      delivery.status = status;
      if (delivery.statusCode !== undefined) delivery.durationMs = Date.now() - started;
      this.#pending.set(policy.ID, (this.#pending.get(policy.ID) ?? 1) - 1);
      this.#deliveries.changed(policy.ID);
      if (status === 'failed') this.log.warn({ policy: policy.ID, url: policy.Spec.Url, error: delivery.error, detail }, 'registry webhook: delivery failed');
    };
    const attempt = async (): Promise<void> => {
      delivery.attempts++;
      delivery.statusCode = undefined;
      delivery.error = undefined;
      detail = undefined;
      try {
        const status = await this.#post(new URL(policy.Spec.Url), headers, body);
        delivery.statusCode = status;
        if (status >= 200 && status < 300) return finish('delivered');
        delivery.error = `the endpoint answered ${status}`;
        if (status !== 429 && status < 500) return finish('failed'); // the receiver refused it: retrying will not help
      } catch (err) {
        if (err instanceof OutboundRefusedError) {
          delivery.error = `refused: ${err.message}`;
          return finish('failed');
        }
        delivery.error = CONNECTION_FAILED;
        detail = (err as Error).name === 'AbortError' ? `no answer within ${this.#timeoutMs} ms` : (err as Error).message;
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

  /** #post sends one attempt to a checked address and gives the answer's status; redirects are not followed. */
  async #post(url: URL, headers: Record<string, string>, body: string): Promise<number> {
    const pinned = await this.#outbound.pin(url);
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = transport.request(url, { method: 'POST', headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) }, signal: AbortSignal.timeout(this.#timeoutMs), ...pinned }, (res) => {
        // The answer's body is never read, let alone shown.
        res.on('error', () => undefined).resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(body);
    });
  }
}
