// Prometheus metrics of one registry, served at /metrics on its port, in a prom-client Registry of
// its own (several registries in one process, as in tests, never share counters). Counters come
// from requests, registry events and garbage collection runs; storage figures (blobs, manifests and
// bytes per project) are read from storage when scraped, at most every few seconds.
// Replication reports through the events: emit `{action: 'replicate', status, ...}` and it is
// counted here (and sent to webhooks).

import { Counter, Gauge, Histogram, Registry as PromRegistry } from 'prom-client';
import { matchEndpoint } from './distribution/endpoints.js';
import type { RegistryEvents } from './events.js';
import type { GcRun } from './gc/gc.js';
import { projectOf } from './admin/projects.js';
import { ADMIN_PREFIX } from './admin/admin.js';
import type { StorageDriver } from './storage/storage-driver.js';
import { storedBlobs } from './storage/storage-walk.js';
import type { UsageAccountant } from './policies/usage.js';

const CENSUS_TTL_MS = 10_000;

interface Census {
  blobs: number;
  projects: { name: string; bytes: number; manifests: number }[];
}

/** The operation label of a request path: the spec endpoint's kind, or the admin API, or other. */
export function operationOf(url: string): string {
  const path = url.split('?', 1)[0]!;
  if (path.startsWith('/v2')) return matchEndpoint(path)?.kind ?? 'unknown';
  if (path.startsWith(ADMIN_PREFIX)) return 'admin';
  if (path === '/service/token') return 'token';
  return path === '/metrics' ? 'metrics' : 'unknown';
}

export class RegistryMetrics {
  readonly registry = new PromRegistry();
  readonly #uploaded: Counter;
  readonly #downloaded: Counter;
  readonly #latency: Histogram;
  readonly #gcRuns: Counter;
  readonly #gcFreed: Counter;
  readonly #gcBlobs: Counter;
  readonly #replications: Counter;
  readonly #quotaRefusals: Counter;
  #census: Promise<Census> | undefined;

  constructor(
    private readonly driver: StorageDriver,
    private readonly usage: UsageAccountant,
    events: RegistryEvents,
  ) {
    const registers = [this.registry];
    this.#uploaded = new Counter({ name: 'berth_registry_uploaded_bytes_total', help: 'Bytes of blobs and manifests pushed (cross-repository mounts excluded)', registers });
    this.#downloaded = new Counter({ name: 'berth_registry_downloaded_bytes_total', help: 'Bytes of blobs and manifests sent to clients', registers });
    this.#latency = new Histogram({
      name: 'berth_registry_request_duration_seconds',
      help: 'Time to answer a request, by operation (spec endpoint kind, admin, metrics), method and status code',
      labelNames: ['operation', 'method', 'code'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.#gcRuns = new Counter({ name: 'berth_registry_gc_runs_total', help: 'Garbage collection runs, by outcome (dry runs included)', labelNames: ['status', 'dry_run'], registers });
    this.#gcFreed = new Counter({ name: 'berth_registry_gc_freed_bytes_total', help: 'Bytes freed by garbage collection (blobs and upload sessions)', registers });
    this.#gcBlobs = new Counter({ name: 'berth_registry_gc_deleted_blobs_total', help: 'Blobs deleted by garbage collection', registers });
    this.#replications = new Counter({ name: 'berth_registry_replications_total', help: 'Artifacts replicated to or from other registries, by outcome', labelNames: ['status'], registers });
    this.#quotaRefusals = new Counter({ name: 'berth_registry_quota_refusals_total', help: 'Pushes refused because of a project quota', labelNames: ['project'], registers });
    const census = (): Promise<Census> => this.#readCensus();
    new Gauge({
      name: 'berth_registry_blobs',
      help: 'Blobs in storage (manifests included), referenced or not',
      registers,
      async collect() {
        this.set((await census()).blobs);
      },
    });
    new Gauge({
      name: 'berth_registry_manifests',
      help: 'Manifests per project (one per repository it is in)',
      labelNames: ['project'],
      registers,
      async collect() {
        this.reset();
        for (const p of (await census()).projects) this.set({ project: p.name }, p.manifests);
      },
    });
    new Gauge({
      name: 'berth_registry_project_storage_bytes',
      help: 'Storage used per project, as its quota counts it (shared blobs once)',
      labelNames: ['project'],
      registers,
      async collect() {
        this.reset();
        for (const p of (await census()).projects) this.set({ project: p.name }, p.bytes);
      },
    });

    events.on((e) => {
      if (e.action === 'push' && e.size !== undefined && e.from === undefined && e.target !== 'tag') this.#uploaded.inc(e.size);
      else if (e.action === 'replicate' && e.status) this.#replications.inc({ status: e.status });
      else if (e.action === 'quotaExceeded') this.#quotaRefusals.inc({ project: projectOf(e.repository) });
    });
  }

  /** request records one answered request. */
  request(url: string, method: string, status: number, seconds: number, sentBytes: number | undefined): void {
    const operation = operationOf(url);
    this.#latency.observe({ operation, method, code: String(status) }, seconds);
    if ((operation === 'blob' || operation === 'manifest') && method === 'GET' && sentBytes) this.#downloaded.inc(sentBytes);
  }

  /** gcRun records a finished garbage collection run. */
  gcRun(run: GcRun): void {
    this.#gcRuns.inc({ status: run.status, dry_run: String(run.dryRun) });
    if (run.dryRun) return;
    this.#gcFreed.inc(run.bytesFreed);
    this.#gcBlobs.inc(run.blobsDeleted);
  }

  #readCensus(): Promise<Census> {
    const cached = this.#census;
    if (cached) return cached;
    const next = (async (): Promise<Census> => {
      let blobs = 0;
      for await (const _ of storedBlobs(this.driver)) blobs++;
      const projects = [];
      for (const name of await this.usage.projects()) {
        const u = await this.usage.usage(name);
        projects.push({ name, bytes: u.bytes, manifests: u.manifests });
      }
      return { blobs, projects };
    })();
    this.#census = next;
    next.then(
      () => setTimeout(() => this.#census === next && (this.#census = undefined), CENSUS_TTL_MS).unref(),
      () => (this.#census = undefined),
    );
    return next;
  }
}
