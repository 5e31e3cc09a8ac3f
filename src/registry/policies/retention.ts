// Running a project's retention policy: find the project's repositories, plan each one
// (retention-plan.ts), delete the tags that go through the ManifestStore (so guards are asked and
// events fire; the manifests left untagged are the garbage collector's), and record the run.
// Runs are manual (dry or real) or on the project's Schedule (schedule.ts); one run per project
// at a time. The run history lives in the storage driver, the newest HISTORY_LIMIT per project.

import { randomBytes } from 'node:crypto';
import type { Logger } from '../../common/log.js';
import type { Store } from '../../store/index.js';
import { NameConflictError, type RetentionPolicy, type Schedule } from '../../types/index.js';
import { RegistryError } from '../distribution/errors.js';
import type { ManifestStore } from '../storage/manifest-store.js';
import { paths, REPOSITORIES } from '../storage/paths.js';
import { projectNamed } from './project-policies.js';
import { DEFAULT_PROJECT } from '../admin/projects.js';
import { appliesTo, planRetention, type TagState } from './retention-plan.js';
import { putRecord } from './run-records.js';
import { nextRun } from './schedule.js';
import { PathNotFoundError, type StorageDriver } from '../storage/storage-driver.js';

const HISTORY = 'retention-runs';
const HISTORY_LIMIT = 50;
/** The scheduler looks at the policies at least this often, so changed schedules take effect. */
const RECHECK_MS = 60_000;

export interface RunTag {
  Repository: string;
  Tag: string;
  Digest: string;
  PushedAt: string;
}

export interface RetentionRun {
  Id: string;
  Project: string;
  Trigger: 'manual' | 'schedule';
  /** A dry run lists what would be deleted and deletes nothing. */
  DryRun: boolean;
  StartedAt: string;
  FinishedAt: string;
  /** failed when any error was recorded; the rest of the run still went ahead. */
  Status: 'succeeded' | 'failed';
  Deleted: RunTag[];
  Kept: (RunTag & { Reasons: string[] })[];
  Errors: { Repository?: string; Tag?: string; Message: string }[];
}

const runTag = (t: TagState): RunTag => ({ Repository: t.repository, Tag: t.tag, Digest: t.digest, PushedAt: t.pushedAt.toISOString() });

export class Retention {
  readonly #running = new Set<string>();
  readonly #lastScheduled = new Map<string, number>();
  #startedAt = Date.now();
  #timer: NodeJS.Timeout | undefined;
  #stopped = true;

  constructor(
    private readonly store: Store,
    private readonly driver: StorageDriver,
    private readonly manifests: ManifestStore,
    private readonly log: Logger,
  ) {}

  /** run applies the project's policy now (or, dry, only reports) and records the run. */
  async run(project: string, opts: { dryRun: boolean; trigger: RetentionRun['Trigger'] }): Promise<RetentionRun> {
    const spec = projectNamed(this.store, project).Spec;
    if (this.#running.has(project)) throw new NameConflictError(`a retention run of project ${project} is in progress; wait for it to finish`);
    this.#running.add(project);
    const started = new Date();
    const run: RetentionRun = {
      Id: `${started.getTime().toString().padStart(15, '0')}-${randomBytes(3).toString('hex')}`,
      Project: project,
      Trigger: opts.trigger,
      DryRun: opts.dryRun,
      StartedAt: started.toISOString(),
      FinishedAt: '',
      Status: 'succeeded',
      Deleted: [],
      Kept: [],
      Errors: [],
    };
    try {
      const policy: RetentionPolicy = spec.Retention ?? { Rules: [] };
      for (const repository of await this.repositories(project)) {
        if (!appliesTo(policy, repository)) continue;
        try {
          const plan = planRetention(policy, spec.Immutability, await this.#tagStates(repository), started);
          run.Kept.push(...plan.keep.map((k) => ({ ...runTag(k.tag), Reasons: k.reasons })));
          for (const tag of plan.remove) {
            const outcome = opts.dryRun ? { deleted: true as const } : await this.#deleteTag(tag);
            if ('deleted' in outcome) run.Deleted.push(runTag(tag));
            else if ('changed' in outcome) run.Kept.push({ ...runTag(tag), Reasons: [outcome.changed] });
            else run.Errors.push({ Repository: tag.repository, Tag: tag.tag, Message: outcome.error });
          }
        } catch (err) {
          this.log.error({ err, repository }, 'retention: a repository could not be processed');
          run.Errors.push({ Repository: repository, Message: (err as Error).message });
        }
      }
    } finally {
      this.#running.delete(project);
    }
    run.FinishedAt = new Date().toISOString();
    if (run.Errors.length > 0) run.Status = 'failed';
    await this.#record(run);
    this.log.info({ project, dryRun: run.DryRun, deleted: run.Deleted.length, kept: run.Kept.length, errors: run.Errors.length }, 'retention run finished');
    return run;
  }

  /** runs lists the project's recorded runs, newest first. */
  async runs(project: string): Promise<RetentionRun[]> {
    projectNamed(this.store, project);
    const ids = (await this.driver.list(`${HISTORY}/${project}`)).sort().reverse();
    const runs = await Promise.all(ids.map((id) => this.driver.getContent(`${HISTORY}/${project}/${id}`).then((b) => JSON.parse(b.toString()) as RetentionRun, () => undefined)));
    return runs.filter((r): r is RetentionRun => r !== undefined);
  }

  /** repositories lists the project's repositories (for `library`, also the one-component names). */
  async repositories(project: string): Promise<string[]> {
    const found: string[] = [];
    const walk = async (name: string): Promise<void> => {
      const children = await this.driver.list(paths.repository(name));
      if (children.includes('_manifests')) found.push(name);
      for (const child of children) if (!child.startsWith('_')) await walk(`${name}/${child}`);
    };
    if (project === DEFAULT_PROJECT) {
      for (const top of await this.driver.list(REPOSITORIES)) {
        if (top !== DEFAULT_PROJECT && (await this.driver.list(paths.repository(top))).includes('_manifests')) found.push(top);
      }
    }
    const root = await this.driver.list(paths.repository(project));
    // A repository named just `<project>` belongs to library, not to the project.
    if (root.includes('_manifests') && project === DEFAULT_PROJECT) found.push(project);
    for (const child of root) if (!child.startsWith('_')) await walk(`${project}/${child}`);
    return found.sort();
  }

  /** start runs scheduled policies when they are due, until stop. */
  start(): void {
    this.#stopped = false;
    this.#startedAt = Date.now();
    this.wake();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  /** wake recomputes when the next scheduled run is due (after a policy changed). */
  wake(): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    const now = Date.now();
    let next = now + RECHECK_MS;
    for (const { name, schedule } of this.#scheduled()) next = Math.min(next, nextRun(schedule, this.#lastScheduled.get(name) ?? this.#startedAt));
    this.#timer = setTimeout(() => void this.#runDue(), Math.max(0, next - now));
    this.#timer.unref();
  }

  #scheduled(): { name: string; schedule: Schedule }[] {
    return this.store
      .view((tx) => tx.registryProjects.list())
      .flatMap((p) => (p.Spec.Retention?.Schedule ? [{ name: p.Spec.Name, schedule: p.Spec.Retention.Schedule }] : []));
  }

  async #runDue(): Promise<void> {
    const now = Date.now();
    const due = this.#scheduled().filter(({ name, schedule }) => now >= nextRun(schedule, this.#lastScheduled.get(name) ?? this.#startedAt));
    // A project whose manual run is in progress skips this slot rather than being retried at once.
    for (const { name } of due) this.#lastScheduled.set(name, now);
    for (const { name } of due) {
      if (this.#stopped) return;
      if (this.#running.has(name)) continue;
      await this.run(name, { dryRun: false, trigger: 'schedule' }).catch((err: unknown) => this.log.error({ err, project: name }, 'retention: the scheduled run failed'));
    }
    this.wake();
  }

  async #tagStates(repository: string): Promise<TagState[]> {
    const states = await Promise.all(
      (await this.manifests.tags(repository)).map(async (tag): Promise<TagState | undefined> => {
        try {
          const [content, info] = await Promise.all([this.driver.getContent(paths.tag(repository, tag)), this.driver.stat(paths.tag(repository, tag))]);
          return info ? { repository, tag, digest: content.toString(), pushedAt: info.modifiedAt } : undefined;
        } catch (err) {
          if (err instanceof PathNotFoundError) return undefined; // deleted meanwhile
          throw err;
        }
      }),
    );
    return states.filter((s): s is TagState => s !== undefined);
  }

  /** #deleteTag deletes through the ManifestStore, unless the tag changed since it was planned or a guard refuses. */
  async #deleteTag(tag: TagState): Promise<{ deleted: true } | { changed: string } | { error: string }> {
    try {
      await this.manifests.deleteTag(tag.repository, tag.tag, tag.digest);
      return { deleted: true };
    } catch (err) {
      if (err instanceof RegistryError && err.code === 'MANIFEST_UNKNOWN') return { changed: 'deleted or pushed again while the run was in progress; left as it is' };
      if (err instanceof RegistryError) return { error: err.message };
      throw err;
    }
  }

  async #record(run: RetentionRun): Promise<void> {
    await putRecord(this.driver, `${HISTORY}/${run.Project}`, run.Id, run, HISTORY_LIMIT);
  }
}
