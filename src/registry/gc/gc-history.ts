// The garbage collector's last runs, kept in the storage driver (one object per run, named by its
// zero-padded id so names sort by id), so the history and the numbering outlive restarts. A run
// still recorded as running when the history is first read belonged to a process that stopped
// during it, and is recorded as failed.

import type { Logger } from '../../common/log.js';
import type { GcRun } from './gc.js';
import { putRecord } from '../policies/run-records.js';
import type { StorageDriver } from '../storage/storage-driver.js';

const KEEP = 20;
const RUNS = 'gc-runs';

export class GcHistory {
  /** Oldest first. */
  readonly #runs: GcRun[] = [];
  #loaded: Promise<void> | undefined;
  #nextId = 1;

  constructor(
    private readonly driver: StorageDriver,
    private readonly log: Logger,
  ) {}

  /** load reads the stored runs, once; it settles when they are read. */
  load(): Promise<void> {
    this.#loaded ??= this.#read().catch((err: unknown) => {
      this.#loaded = undefined; // try again next time
      throw err;
    });
    return this.#loaded;
  }

  /** list gives the last runs, newest first. */
  async list(): Promise<GcRun[]> {
    await this.load();
    return this.#runs.map((r) => ({ ...r })).reverse();
  }

  /** add numbers a new run and keeps it (the caller goes on changing it, and saves it). */
  async add(fields: Omit<GcRun, 'id'>): Promise<GcRun> {
    await this.load();
    const run: GcRun = { id: this.#nextId++, ...fields };
    this.#runs.push(run);
    if (this.#runs.length > KEEP) this.#runs.shift();
    return run;
  }

  /** save writes a run's record and drops records beyond the last ones; a failure is logged, never fails the run. */
  async save(run: GcRun): Promise<void> {
    try {
      await putRecord(this.driver, RUNS, String(run.id).padStart(10, '0'), run, KEEP);
    } catch (err) {
      this.log.warn({ err, run: run.id }, 'registry gc: could not record the run');
    }
  }

  async #read(): Promise<void> {
    const names = (await this.driver.list(RUNS)).sort();
    for (const name of names.slice(-KEEP)) {
      let run: GcRun;
      try {
        run = JSON.parse((await this.driver.getContent(`${RUNS}/${name}`)).toString()) as GcRun;
      } catch (err) {
        this.log.warn({ err, name }, 'registry gc: skipping an unreadable run record');
        continue;
      }
      if (run.status === 'running') {
        Object.assign(run, { status: 'failed', error: 'interrupted: the registry stopped during the run' });
        await this.save(run);
      }
      this.#runs.push(run);
    }
    this.#nextId = Math.max(0, ...this.#runs.map((r) => r.id)) + 1;
  }
}
