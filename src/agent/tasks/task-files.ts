// Secret and config files on the node: one directory per task under <root>/<node id>/ (root
// /run/berth by default), on a tmpfs the agent mounts itself, so secret data never reaches a
// disk; each file is bind-mounted read-only into the task's container at its target, as the
// Engine does for Swarm. Files are written before the container is created, left in place
// across agent restarts (adopted containers keep working; missing files are written again), and
// removed with the container.
//
// Bind mounts need the agent and its engine to share the host's filesystem, which is how Berth
// runs them (`berth agent` beside a local Docker or Podman). Copying files into the container
// (PUT /containers/{id}/archive) would work with remote engines too, but it writes secrets into
// the container's writable layer on disk, lets the container change them, and fails on a
// read-only root filesystem.

import { execFile } from 'node:child_process';
import { chmod, chown, lstat, mkdir, readdir, readFile, realpath, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../../common/log.js';
import type { Task } from '../../types/index.js';
import type { Dependencies } from './dependencies.js';
import { TaskError } from '../engine/engine-errors.js';
import { fileContent, taskFiles, type NodeInfo } from '../templates/payload.js';

const run = promisify(execFile);

export const DEFAULT_FILES_ROOT = '/run/berth';

/** A read-only bind mount of one host file into the container. */
export interface FileMount {
  source: string;
  target: string;
}

export interface TaskFilesOptions {
  root: string;
  node: NodeInfo;
  deps: Dependencies;
  log: Logger;
}

export class TaskFiles {
  readonly #dir: string;
  #ready: Promise<void> | undefined;

  constructor(private readonly opts: TaskFilesOptions) {
    this.#dir = join(opts.root, opts.node.id);
  }

  /** mounts tells where each of the task's files is bound (pure: nothing is written). */
  mounts(task: Task): FileMount[] {
    return taskFiles(task).map((f) => ({ source: join(this.#dir, task.ID, f.hostName), target: f.path }));
  }

  /**
   * write makes sure every file of the task exists with its content, owner and mode. Files
   * already there are kept: their content never changes for a task (objects are immutable),
   * and a running container has the file itself bound. Throws TaskError when an object is
   * missing or a template fails.
   */
  async write(task: Task): Promise<void> {
    const files = taskFiles(task);
    if (files.length === 0) return;
    const taskDir = join(this.#dir, task.ID);
    for (const f of files) {
      const path = join(taskDir, f.hostName);
      try {
        if (await exists(path)) continue;
        const content = fileContent(f, task, this.opts.node, this.opts.deps);
        await this.#prepare();
        await mkdir(taskDir, { recursive: true, mode: 0o700 });
        // Owner and mode are set before the file takes its name, so it is never seen half-made.
        const tmp = `${path}.tmp`;
        await writeFile(tmp, content, { mode: 0o600 });
        await chown(tmp, f.uid, f.gid);
        await chmod(tmp, f.mode);
        await rename(tmp, path);
      } catch (err) {
        if (err instanceof TaskError) throw err;
        // A file system error is no engine hiccup to retry: the task is rejected, saying why.
        throw new TaskError(`could not write the file of ${f.kind} ${f.name} for ${f.path}: ${(err as Error).message}`);
      }
    }
  }

  /** remove deletes a task's files (after its container is gone). */
  async remove(taskId: string): Promise<void> {
    await rm(join(this.#dir, taskId), { recursive: true, force: true });
  }

  /** sweep removes the files of every task `keep` rejects. */
  async sweep(keep: (taskId: string) => boolean): Promise<void> {
    let entries: string[];
    try {
      entries = await readdir(this.#dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const taskId of entries) if (!keep(taskId)) await this.remove(taskId);
  }

  /**
   * close unmounts the node's tmpfs and removes its directory once no task has files left;
   * otherwise everything stays for the next agent run, whose containers still use them.
   */
  async close(): Promise<void> {
    try {
      if ((await readdir(this.#dir)).length > 0) return;
      if (await isMountPoint(this.#dir)) await run('umount', [this.#dir]);
      await rmdir(this.#dir);
      await rmdir(this.opts.root).catch(() => undefined); // shared by the node's other agents
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.opts.log.warn({ err: (err as Error).message, dir: this.#dir }, 'could not clean up the secrets directory');
    }
  }

  /** #prepare creates the node directory and mounts a tmpfs on it, once. */
  #prepare(): Promise<void> {
    this.#ready ??= (async () => {
      await mkdir(this.#dir, { recursive: true, mode: 0o700 });
      if (await isMountPoint(this.#dir)) return;
      try {
        await run('mount', ['-t', 'tmpfs', '-o', 'mode=0700', 'tmpfs', this.#dir]);
      } catch (err) {
        // Without the privilege to mount (not root), the files still work, but on this disk.
        this.opts.log.warn(
          { dir: this.#dir, err: (err as { stderr?: string }).stderr?.trim() || (err as Error).message },
          'could not mount a tmpfs for secrets and configs: their files are written to this directory on disk; run the agent as root to keep them in memory',
        );
      }
    })().catch((err: unknown) => {
      this.#ready = undefined; // try again with the next task
      throw err;
    });
    return this.#ready;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** isMountPoint reads /proc/self/mountinfo: is something mounted exactly at dir? */
async function isMountPoint(dir: string): Promise<boolean> {
  const real = await realpath(dir);
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  // Field 5 is the mount point, with spaces and other specials written as octal escapes.
  return info.split('\n').some((line) => line.split(' ')[4]?.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8))) === real);
}
