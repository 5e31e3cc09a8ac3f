// Replication (Harbor's model): a policy copies the artifacts (repository:tag) its filters
// select between this registry and a remote one, push-based (here → there) or pull-based
// (there → here), when asked, on every push of a matching tag, or every N seconds. Each artifact
// is retried with exponential backoff; each run is recorded with per-artifact results, and only
// the last runs of a policy are kept. Both sides are spoken to as registry clients over HTTP, so
// what lands here passes the same checks, guards and events as any push. The remote side goes
// through the outbound guard (docs/outbound.md): its endpoint URL, and any realm or redirect it
// names, may not be loopback, link-local or one of the cluster's own listeners.

import picomatch from 'picomatch';
import { RegistryClient, type RegistryClientOptions } from '../../common/registry-client.js';
import type { Logger } from '../../common/log.js';
import { newId } from '../../common/ids.js';
import { OutboundGuard } from '../../common/outbound.js';
import { now } from '../../common/time.js';
import type { Store } from '../../store/index.js';
import {
  ForbiddenError,
  NotFoundError,
  UnavailableError,
  type RegistryEndpointSpec,
  type ReplicationArtifactResult,
  type ReplicationPolicy,
  type ReplicationRun,
  type ReplicationTrigger,
} from '../../types/index.js';
import type { RegistryEvent, RegistryEvents } from '../events.js';
import { copyArtifact } from './replication-copy.js';
import type { StorageDriver } from '../storage/storage-driver.js';
import { REPOSITORIES } from '../storage/paths.js';
import { projectOf } from '../admin/projects.js';
import { nextRun } from '../policies/schedule.js';

export interface ReplicatorOptions {
  store: Store;
  events: RegistryEvents;
  driver: StorageDriver;
  log: Logger;
  /** How to reach this registry over HTTP (known once it listens). */
  local: () => RegistryClientOptions;
  /** Checks the remote registries' targets; the default refuses loopback, link-local and the like. */
  outbound?: OutboundGuard;
  /** Runs kept per policy (oldest dropped first). */
  keepRuns?: number;
  /** Attempts per artifact, and the first backoff delay (doubled each retry). */
  attempts?: number;
  backoffMs?: number;
}

/** Called when a run ends: the hook for webhooks and metrics (replication successes/failures). */
export type ReplicationListener = (run: ReplicationRun, policy: ReplicationPolicy) => void;

interface Artifact {
  repository: string;
  tag: string;
}

const SCHEDULE_TICK_MS = 1000;

export class Replicator {
  readonly #opts: Required<Omit<ReplicatorOptions, 'store' | 'events' | 'driver' | 'log' | 'local'>> & ReplicatorOptions;
  readonly #running = new Set<Promise<void>>();
  readonly #listeners = new Set<ReplicationListener>();
  /** Policies with a scheduled run in progress (a slow run is not started twice). */
  readonly #scheduledBusy = new Set<string>();
  readonly #lastScheduled = new Map<string, number>();
  #unsubscribe: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopping = false;

  constructor(opts: ReplicatorOptions) {
    this.#opts = { keepRuns: 20, attempts: 4, backoffMs: 1000, outbound: new OutboundGuard(), ...opts };
  }

  /** remote is a client of a registry endpoint, every request checked by the outbound guard. */
  remote(spec: RegistryEndpointSpec): RegistryClient {
    const credentials = spec.Username ? { username: spec.Username, password: spec.Password ?? '' } : undefined;
    return new RegistryClient({ url: spec.URL, insecure: spec.Insecure, credentials, outbound: this.#opts.outbound });
  }

  /** checkUrl refuses, when an endpoint is set, a URL the guard would refuse (a 400 naming `URL`). */
  checkUrl(url: string): Promise<void> {
    return this.#opts.outbound.check(url, 'URL');
  }

  /** start listens for pushes and starts the schedule; runs a crash interrupted are marked failed. */
  start(): void {
    const { store } = this.#opts;
    store.update((tx) => {
      for (const run of tx.replicationRuns.list()) {
        if (run.Status === 'running') tx.replicationRuns.update({ ...run, Status: 'failed', EndedAt: now(), Error: 'interrupted: the registry stopped during the run' });
      }
    });
    this.#unsubscribe = this.#opts.events.on((e) => this.#onEvent(e));
    this.#timer = setInterval(() => this.#tick(), SCHEDULE_TICK_MS);
    this.#timer.unref();
  }

  /** stop ends triggers and waits for runs in progress (they stop retrying and record what they did). */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#unsubscribe?.();
    if (this.#timer) clearInterval(this.#timer);
    await Promise.allSettled([...this.#running]);
  }

  onRun(listener: ReplicationListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * run starts a run of a policy and returns its record at once (status running); `only` limits
   * it to one artifact (an on-push trigger). `done` settles when the run has been recorded.
   */
  run(policyId: string, trigger: ReplicationTrigger['Type'], only?: Artifact): { run: ReplicationRun; done: Promise<void> } {
    if (this.#stopping) throw new UnavailableError('the registry is stopping; run the policy again once it is back');
    const policy = this.#opts.store.view((tx) => tx.replicationPolicies.get(policyId));
    if (!policy) throw new NotFoundError(`replication policy ${policyId} not found`);
    const run = this.#opts.store.update((tx) =>
      tx.replicationRuns.create({ ID: newId(), Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', PolicyID: policy.ID, Trigger: trigger, Status: 'running', StartedAt: now(), Artifacts: [] }),
    );
    const done = this.#execute(policy, run, only)
      .catch((err: unknown) => this.#opts.log.error({ err, policy: policy.Spec.Name }, 'replication: recording a run failed'))
      .finally(() => this.#running.delete(done));
    this.#running.add(done);
    return { run, done };
  }

  async #execute(policy: ReplicationPolicy, run: ReplicationRun, only: Artifact | undefined): Promise<void> {
    const results: ReplicationArtifactResult[] = [];
    let error: string | undefined;
    const endpoint = this.#opts.store.view((tx) => tx.registryEndpoints.byName(policy.Spec.Endpoint));
    if (!endpoint) {
      error = `the registry endpoint ${policy.Spec.Endpoint} no longer exists`;
    } else {
      const remote = this.remote(endpoint.Spec);
      const local = new RegistryClient(this.#opts.local());
      const [src, dst] = policy.Spec.Direction === 'push' ? [local, remote] : [remote, local];
      try {
        const artifacts = only ? [only] : await this.#retry(() => this.#select(policy, src));
        const sent = new Map<string, string>();
        for (const a of artifacts) {
          if (this.#stopping) {
            results.push({ Repository: a.repository, Tag: a.tag, Digest: '', Destination: destinationOf(policy, a.repository), Status: 'failed', Error: 'not copied: the registry stopped', Bytes: 0, Attempts: 0 });
            continue;
          }
          results.push(await this.#copyOne(policy, src, dst, a, sent));
        }
      } catch (err) {
        error = `listing the artifacts to copy failed: ${(err as Error).message}`;
        this.#opts.log.warn({ policy: policy.Spec.Name, err: (err as Error).message, detail: causeOf(err) }, 'replication: listing failed');
      } finally {
        local.close();
        remote.close();
      }
    }
    const failed = results.filter((r) => r.Status === 'failed').length;
    const status = error || (failed > 0 && failed === results.length) ? 'failed' : failed > 0 ? 'partial' : 'succeeded';
    const ended = this.#record(run, { Status: status, EndedAt: now(), Error: error, Artifacts: results });
    this.#opts.log.info({ policy: policy.Spec.Name, status, artifacts: results.length, failed }, 'replication run ended');
    for (const listener of this.#listeners) {
      try {
        listener(ended, policy);
      } catch (err) {
        this.#opts.log.error({ err }, 'replication: a run listener failed');
      }
    }
  }

  /** #record stores the finished run and drops the policy's oldest runs beyond the limit; a run whose policy was deleted meanwhile is dropped. */
  #record(run: ReplicationRun, end: Partial<ReplicationRun>): ReplicationRun {
    return this.#opts.store.update((tx) => {
      const current = tx.replicationRuns.get(run.ID);
      if (!current) return { ...run, ...end };
      const ended = tx.replicationRuns.update({ ...current, ...end });
      const runs = tx.replicationRuns
        .list()
        .filter((r) => r.PolicyID === run.PolicyID)
        .sort((a, b) => b.StartedAt.localeCompare(a.StartedAt));
      for (const old of runs.slice(this.#opts.keepRuns)) tx.replicationRuns.delete(old.ID);
      return ended;
    });
  }

  async #copyOne(policy: ReplicationPolicy, src: RegistryClient, dst: RegistryClient, a: Artifact, sent: Map<string, string>): Promise<ReplicationArtifactResult> {
    const destination = destinationOf(policy, a.repository);
    const result: ReplicationArtifactResult = { Repository: a.repository, Tag: a.tag, Digest: '', Destination: destination, Status: 'failed', Bytes: 0, Attempts: 0 };
    try {
      const copied = await this.#retry(() => {
        result.Attempts++;
        // Tokens minted for this registry pass every scope, so the rule that nobody pushes into a
        // project that does not exist is checked here.
        const project = projectOf(destination);
        if (policy.Spec.Direction === 'pull' && !this.#opts.store.view((tx) => tx.registryProjects.byName(project))) {
          throw new ForbiddenError(`project ${project} does not exist in this registry: create it first (berth project create ${project})`);
        }
        return copyArtifact({ src, srcRepo: a.repository, dst, dstRepo: destination, sent }, a.tag);
      });
      return { ...result, Digest: copied.digest, Bytes: copied.bytes, Status: copied.upToDate ? 'skipped' : 'succeeded' };
    } catch (err) {
      this.#opts.log.warn({ policy: policy.Spec.Name, repository: a.repository, tag: a.tag, err: (err as Error).message, detail: causeOf(err) }, 'replication: artifact failed');
      return { ...result, Error: (err as Error).message };
    }
  }

  /**
   * #retry runs fn up to `attempts` times, waiting backoff, 2×backoff, ... between tries. Only
   * failures to talk (network, 5xx) are retried: a refusal (401, 403, 404, 400) will not change.
   */
  async #retry<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (!(err instanceof UnavailableError) || attempt >= this.#opts.attempts || this.#stopping) throw err;
        await new Promise((resolve) => setTimeout(resolve, this.#opts.backoffMs * 2 ** (attempt - 1)));
      }
    }
  }

  /** #select lists the source's repositories and tags that the policy's filters match. */
  async #select(policy: ReplicationPolicy, src: RegistryClient): Promise<Artifact[]> {
    const repoMatch = matcher(policy.Spec.Repositories);
    const tagMatch = matcher(policy.Spec.Tags);
    const repositories = policy.Spec.Direction === 'push' ? await localRepositories(this.#opts.driver) : await remoteRepositories(src, policy.Spec.Repositories);
    const artifacts: Artifact[] = [];
    for (const repository of repositories.filter(repoMatch).sort()) {
      let tags: string[];
      try {
        tags = await src.listTags(repository);
      } catch (err) {
        if (err instanceof NotFoundError) continue;
        throw err;
      }
      for (const tag of tags.filter(tagMatch)) artifacts.push({ repository, tag });
    }
    return artifacts;
  }

  /** An on-push trigger: a tag pushed here starts a one-artifact run of every push policy that selects it. */
  #onEvent(e: RegistryEvent): void {
    if (this.#stopping || e.action !== 'push' || e.target !== 'manifest' || !e.tag) return;
    const policies = this.#opts.store.view((tx) => tx.replicationPolicies.list());
    for (const p of policies) {
      if (!p.Spec.Enabled || p.Spec.Direction !== 'push' || p.Spec.Trigger.Type !== 'onPush') continue;
      if (!matcher(p.Spec.Repositories)(e.repository) || !matcher(p.Spec.Tags)(e.tag)) continue;
      this.run(p.ID, 'onPush', { repository: e.repository, tag: e.tag });
    }
  }

  #tick(): void {
    if (this.#stopping) return;
    const at = Date.now();
    for (const p of this.#opts.store.view((tx) => tx.replicationPolicies.list())) {
      const trigger = p.Spec.Trigger;
      if (!p.Spec.Enabled || trigger.Type !== 'schedule' || this.#scheduledBusy.has(p.ID)) continue;
      const last = this.#lastScheduled.get(p.ID) ?? this.#lastScheduledRun(p);
      if (at < nextRun(trigger, last)) continue;
      this.#lastScheduled.set(p.ID, at);
      this.#scheduledBusy.add(p.ID);
      void this.run(p.ID, 'schedule').done.finally(() => this.#scheduledBusy.delete(p.ID));
    }
  }

  /** #lastScheduledRun: when the policy last ran on schedule (kept runs), or was last changed, so a restart keeps the pace. */
  #lastScheduledRun(p: ReplicationPolicy): number {
    const runs = this.#opts.store.view((tx) => tx.replicationRuns.list()).filter((r) => r.PolicyID === p.ID && r.Trigger === 'schedule');
    return Math.max(Date.parse(p.UpdatedAt), ...runs.map((r) => Date.parse(r.StartedAt)));
  }
}

/** causeOf: what a generic connection failure hides from the run record, for the operator's log. */
const causeOf = (err: unknown): string | undefined => ((err as Error).cause as Error | undefined)?.message;

/** matcher: true for names matching any glob; an empty list matches everything. */
export function matcher(globs: string[]): (name: string) => boolean {
  if (globs.length === 0) return () => true;
  const test = picomatch(globs, { dot: true });
  return (name) => test(name);
}

export const destinationOf = (policy: ReplicationPolicy, repository: string): string =>
  policy.Spec.DestinationNamespace ? `${policy.Spec.DestinationNamespace}/${repository}` : repository;

/** localRepositories walks the storage for repositories (a prefix holding `_manifests`). */
async function localRepositories(driver: StorageDriver): Promise<string[]> {
  const found: string[] = [];
  const walk = async (name: string): Promise<void> => {
    const children = await driver.list(name ? `${REPOSITORIES}/${name}` : REPOSITORIES);
    if (children.includes('_manifests')) found.push(name);
    for (const c of children) if (!c.startsWith('_')) await walk(name ? `${name}/${c}` : c);
  };
  await walk('');
  return found;
}

/**
 * remoteRepositories: patterns without glob characters name repositories directly; any glob
 * needs the remote's catalog, which distribution and Harbor serve (the OCI spec has none).
 */
async function remoteRepositories(src: RegistryClient, patterns: string[]): Promise<string[]> {
  const literal = patterns.filter((p) => !picomatch.scan(p).isGlob);
  if (literal.length === patterns.length && literal.length > 0) return literal;
  try {
    return await src.catalog();
  } catch (err) {
    if (err instanceof NotFoundError) {
      throw new NotFoundError(`${src.host} has no repository catalog (/v2/_catalog), so a pull policy must name its repositories without globs`);
    }
    throw err;
  }
}
