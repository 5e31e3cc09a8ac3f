// Online garbage collection: mark and sweep over the storage driver while pushes and pulls go on.
//
// Mark: every manifest revision of every repository marks its own bytes and what it references
// (config, layers, index entries). A blob link written within the grace period marks its blob too:
// that is a blob pushed (or mounted, or re-linked by a new push of old content) whose manifest has
// not arrived yet.
// With deleteUntagged, a first pass deletes old manifests nothing keeps (gc-untagged.ts, #sweepUntagged); runs are recorded by gc-history.ts.
// Sweep, of things older than the grace period only: blobs nothing marked (with their links), blob
// links that no manifest of their repository references, and upload sessions nobody finished.
// A push that relies on a digest between mark and sweep records it in the SweepFence first, and
// the sweep skips every digest used within the grace period; an upload a request is writing to is
// held and skipped. Repositories left with no objects disappear with their last link (the driver
// keeps no empty prefixes).

import type { Logger } from '../../common/log.js';
import { UnavailableError } from '../../types/index.js';
import type { RegistryEvents } from '../events.js';
import { GcHistory } from './gc-history.js';
import { untaggedManifests } from './gc-untagged.js';
import { removeRevision } from '../storage/manifest-store.js';
import type { Digest } from '../distribution/names.js';
import { paths, UPLOADS } from '../storage/paths.js';
import { nextRun } from '../policies/schedule.js';
import type { StorageDriver } from '../storage/storage-driver.js';
import { linkedBlobs, manifestDigests, manifestRefs, repositories, storedBlobs } from '../storage/storage-walk.js';
import type { SweepFence } from '../storage/sweep-fence.js';
import type { UploadInfo } from '../storage/uploads.js';

/** Harbor skips blobs younger than 2 h, zot's gcDelay is 1 h: long enough for any push to finish. */
export const DEFAULT_GC_GRACE_MS = 60 * 60 * 1000;
/** The longest delay setTimeout takes (2^31 - 1 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface GcRun {
  id: number;
  startedAt: string;
  finishedAt?: string;
  status: 'running' | 'succeeded' | 'failed';
  error?: string;
  /** Nothing was deleted; the counts say what would have been. */
  dryRun: boolean;
  /** Old untagged manifests were deleted too (#sweepUntagged). */
  deleteUntagged: boolean;
  graceSeconds: number;
  /** Distinct blobs (manifests included) in use. */
  blobsMarked: number;
  blobsDeleted: number;
  /** Untagged manifests deleted, per repository. */
  manifestsDeleted: number;
  /** Bytes of deleted blobs and upload sessions. */
  bytesFreed: number;
  uploadsDeleted: number;
  /** Links of blobs into repositories that no manifest there references. */
  linksDeleted: number;
  /** Repositories that had only such links, and are gone. */
  repositoriesRemoved: number;
}

export interface GcOptions {
  graceMs?: number;
  /** Runs the collector every so often; off when absent or 0. */
  intervalMs?: number;
  /** Runs the collector at the times a cron expression names (schedule.ts), instead of an interval. */
  cron?: string;
  /** Scheduled runs also delete untagged manifests (off, as in Harbor and distribution). */
  deleteUntagged?: boolean;
}

export type GcListener = (run: GcRun) => void;

export interface RunOptions {
  dryRun?: boolean;
  /** Defaults to GcOptions.deleteUntagged. */
  deleteUntagged?: boolean;
}

export class GarbageCollector {
  readonly graceMs: number;
  readonly intervalMs: number;
  readonly cron: string | undefined;
  readonly deleteUntagged: boolean;
  readonly #history: GcHistory;
  readonly #listeners = new Set<GcListener>();
  /** The run going on: once recorded, and once ended. */
  #current: { started: Promise<GcRun>; done: Promise<GcRun> } | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly driver: StorageDriver,
    private readonly fence: SweepFence,
    private readonly log: Logger,
    opts: GcOptions = {},
    /** Where deleted manifests are announced (webhooks, quotas' usage), as a DELETE would. */
    private readonly events?: RegistryEvents,
  ) {
    this.graceMs = opts.graceMs ?? DEFAULT_GC_GRACE_MS;
    this.intervalMs = opts.intervalMs ?? 0;
    this.cron = opts.cron;
    this.deleteUntagged = opts.deleteUntagged ?? false;
    this.#history = new GcHistory(driver, log);
    fence.retainFor(this.graceMs);
  }

  /** start begins the schedule, if there is one. */
  start(): void {
    if (this.#timer) return;
    if (this.cron !== undefined) return this.#awaitCron(this.cron);
    if (this.intervalMs <= 0) return;
    this.#timer = setInterval(() => this.#scheduledRun(), this.intervalMs);
    this.#timer.unref();
  }

  /** #awaitCron sets a timer for the next time `cron` names; a timer waits at most 24.8 days, so a later one is reached in steps. */
  #awaitCron(cron: string): void {
    const at = nextRun({ Cron: cron }, Date.now());
    if (at === Infinity) return;
    this.#timer = setTimeout(
      () => {
        if (Date.now() >= at) this.#scheduledRun();
        this.#awaitCron(cron);
      },
      Math.min(at - Date.now(), MAX_TIMER_MS),
    );
    this.#timer.unref();
  }

  #scheduledRun(): void {
    if (this.#current) return; // a manual run is going on; the next time will do
    this.run().catch((err: unknown) => this.log.error({ err }, 'registry gc: scheduled run failed'));
  }

  /** stop ends the schedule and waits for a run in progress. */
  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#current?.done.catch(() => undefined);
  }

  /** onRun subscribes to finished runs; returns the unsubscribe function. */
  onRun(listener: GcListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get running(): boolean {
    return this.#current !== undefined;
  }

  /** history lists the last runs, newest first, those of earlier processes on this storage included. */
  history(): Promise<GcRun[]> {
    return this.#history.list();
  }

  /** run collects garbage now and resolves with the finished run; a failed run is recorded and rethrown. */
  async run(opts: RunOptions = {}): Promise<GcRun> {
    return (await this.begin(opts)).done;
  }

  /**
   * begin starts a run (one at a time) and resolves once it is recorded, with the run as it
   * started; `done` settles when it ends, as run() would. The caller must handle `done`.
   */
  async begin(opts: RunOptions = {}): Promise<{ started: GcRun; done: Promise<GcRun> }> {
    if (this.#current) {
      const running = await this.#current.started.catch(() => undefined);
      throw new UnavailableError(`garbage collection run ${running ? `${running.id} (started ${running.startedAt}) ` : ''}is still going: wait for it to finish`);
    }
    let recorded!: (run: GcRun) => void;
    const recordedRun = new Promise<GcRun>((resolve) => (recorded = resolve));
    const done = this.#start(opts, recorded).finally(() => (this.#current = undefined));
    // Only reading the history can fail before the run is recorded; then `done` rejects first.
    const started = Promise.race([recordedRun, done]);
    this.#current = { started, done };
    return { started: await started, done };
  }

  async #start(opts: RunOptions, recorded: (run: GcRun) => void): Promise<GcRun> {
    const run = await this.#history.add({
      startedAt: new Date().toISOString(),
      status: 'running',
      dryRun: opts.dryRun ?? false,
      deleteUntagged: opts.deleteUntagged ?? this.deleteUntagged,
      graceSeconds: this.graceMs / 1000,
      blobsMarked: 0,
      blobsDeleted: 0,
      manifestsDeleted: 0,
      bytesFreed: 0,
      uploadsDeleted: 0,
      linksDeleted: 0,
      repositoriesRemoved: 0,
    });
    await this.#history.save(run);
    recorded({ ...run });
    return this.#collect(run);
  }

  async #collect(run: GcRun): Promise<GcRun> {
    const cutoff = Date.parse(run.startedAt) - this.graceMs;
    try {
      this.fence.beginSweep(cutoff);
      const untagged = run.deleteUntagged ? await this.#sweepUntagged(run, cutoff) : new Set<string>();
      const mark = await this.#mark(cutoff, untagged);
      run.blobsMarked = mark.marked.size;
      await this.#sweepBlobs(run, mark, cutoff);
      await this.#sweepLinks(run, mark, cutoff);
      await this.#sweepUploads(run, cutoff);
      run.status = 'succeeded';
      run.finishedAt = new Date().toISOString();
      this.log.info({ run }, 'registry gc: finished');
    } catch (err) {
      run.status = 'failed';
      run.error = (err as Error).message;
      run.finishedAt = new Date().toISOString();
      this.log.error({ err, run: run.id }, 'registry gc: failed');
      throw err;
    } finally {
      this.fence.endSweep();
      await this.#history.save(run);
      for (const listener of this.#listeners) {
        try {
          listener({ ...run });
        } catch (err) {
          this.log.error({ err }, 'registry gc: a run listener failed');
        }
      }
    }
    return { ...run };
  }

  /**
   * #sweepUntagged deletes the manifests nothing keeps (untaggedManifests) as a DELETE by digest would, unless
   * a push relied on one since the cutoff. Returns `repository@digest` of each one gone, or that a
   * dry run would delete, so the mark leaves out what they alone reference.
   */
  async #sweepUntagged(run: GcRun, cutoff: number): Promise<Set<string>> {
    const gone = new Set<string>();
    for await (const repository of repositories(this.driver)) {
      for (const m of await untaggedManifests(this.driver, repository, cutoff)) {
        const remove = async (): Promise<boolean> => {
          // Every push of a manifest (a new tag for it included) rewrites its link first.
          const link = await this.driver.stat(paths.revisionLink(repository, m.digest));
          if (!link || link.modifiedAt.getTime() >= cutoff) return false;
          await removeRevision(this.driver, repository, m.digest, m.subject?.text, []);
          return true;
        };
        const deleted = run.dryRun ? !this.fence.usedSince(m.digest.text, cutoff) : await this.fence.deleteUnused(m.digest.text, cutoff, remove);
        if (!deleted) continue;
        gone.add(`${repository}@${m.digest.text}`);
        run.manifestsDeleted++;
        if (!run.dryRun) this.events?.emit({ action: 'delete', target: 'manifest', repository, digest: m.digest.text, mediaType: m.mediaType });
      }
    }
    return gone;
  }

  /** #mark: what every manifest references, leaving out `skip` (`repository@digest`: untagged ones a dry run would delete). */
  async #mark(cutoff: number, skip: ReadonlySet<string>): Promise<Mark> {
    const marked = new Set<string>();
    /** Old links no manifest of their repository references, by digest. */
    const unreferenced = new Map<string, { repository: string; digest: Digest }[]>();
    for await (const repository of repositories(this.driver)) {
      const inRepository = new Set<string>();
      for (const digest of await manifestDigests(this.driver, repository)) {
        if (skip.has(`${repository}@${digest.text}`)) continue;
        inRepository.add(digest.text);
        const refs = await manifestRefs(this.driver, repository, digest);
        for (const d of [...(refs?.blobs ?? []), ...(refs?.manifests ?? [])]) inRepository.add(d.text);
      }
      for (const digest of await linkedBlobs(this.driver, repository)) {
        if (inRepository.has(digest.text)) continue;
        const link = await this.driver.stat(paths.layerLink(repository, digest));
        if (!link) continue;
        if (link.modifiedAt.getTime() >= cutoff) marked.add(digest.text);
        else unreferenced.set(digest.text, [...(unreferenced.get(digest.text) ?? []), { repository, digest }]);
      }
      for (const d of inRepository) marked.add(d);
    }
    return { marked, unreferenced };
  }

  async #sweepBlobs(run: GcRun, mark: Mark, cutoff: number): Promise<void> {
    for await (const digest of storedBlobs(this.driver)) {
      if (mark.marked.has(digest.text)) continue;
      const content = await this.driver.stat(paths.blobData(digest));
      if (!content || content.modifiedAt.getTime() >= cutoff) continue;
      const links = mark.unreferenced.get(digest.text) ?? [];
      mark.unreferenced.delete(digest.text);
      const remove = async (): Promise<boolean> => {
        // Links first: a crash in between leaves content the next run frees, never a link to nothing.
        let relinked = false;
        for (const link of links) relinked = !(await this.#deleteLink(run, link.repository, link.digest)) || relinked;
        if (relinked) return false;
        const data = paths.blobData(digest);
        await this.driver.delete(data.slice(0, -'/data'.length));
        return true;
      };
      if (run.dryRun) {
        if (this.fence.usedSince(digest.text, cutoff)) continue;
        run.linksDeleted += links.length;
      } else if (!(await this.fence.deleteUnused(digest.text, cutoff, remove))) {
        continue;
      }
      run.blobsDeleted++;
      run.bytesFreed += content.size;
    }
  }

  /** Links to blobs still in use elsewhere, which their own repository never referenced. */
  async #sweepLinks(run: GcRun, mark: Mark, cutoff: number): Promise<void> {
    for (const [digest, links] of mark.unreferenced) {
      if (run.dryRun) {
        if (!this.fence.usedSince(digest, cutoff)) run.linksDeleted += links.length;
        continue;
      }
      await this.fence.deleteUnused(digest, cutoff, async () => {
        for (const link of links) await this.#deleteLink(run, link.repository, link.digest);
        return true;
      });
    }
  }

  /** Deletes a link unless it was written again meanwhile; resolves with whether it is gone. */
  async #deleteLink(run: GcRun, repository: string, digest: Digest): Promise<boolean> {
    const link = paths.layerLink(repository, digest);
    const now = await this.driver.stat(link);
    if (!now) return true;
    if (now.modifiedAt.getTime() >= Date.parse(run.startedAt) - this.graceMs) return false;
    await this.driver.delete(link.slice(0, -'/link'.length));
    run.linksDeleted++;
    if ((await this.driver.stat(paths.repository(repository))) === undefined) run.repositoriesRemoved++;
    return true;
  }

  async #sweepUploads(run: GcRun, cutoff: number): Promise<void> {
    for (const id of await this.driver.list(UPLOADS)) {
      const [info, data] = await Promise.all([this.#uploadInfo(id), this.driver.stat(paths.uploadData(id))]);
      // A session is as young as its start or its last write, whichever is later.
      const started = info ? Date.parse(info.startedAt) : NaN;
      const lastActive = Math.max(Number.isNaN(started) ? -Infinity : started, data?.modifiedAt.getTime() ?? -Infinity);
      if (lastActive >= cutoff) continue;
      if (!run.dryRun) {
        if (!this.fence.holdUpload(id)) continue; // a request is writing to it right now
        try {
          await this.driver.delete(paths.upload(id));
        } finally {
          this.fence.releaseUpload(id);
        }
      }
      run.uploadsDeleted++;
      run.bytesFreed += data?.size ?? 0;
    }
  }

  async #uploadInfo(id: string): Promise<UploadInfo | undefined> {
    try {
      return JSON.parse((await this.driver.getContent(paths.uploadInfo(id))).toString()) as UploadInfo;
    } catch {
      return undefined; // gone meanwhile, or a crash left only the data
    }
  }
}

interface Mark {
  marked: Set<string>;
  unreferenced: Map<string, { repository: string; digest: Digest }[]>;
}
