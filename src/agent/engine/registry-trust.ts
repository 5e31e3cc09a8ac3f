// Making the node's engine trust the cluster's registry. The manager names the HOST:PORTs under
// which the cluster's registry serves a certificate from the cluster CA (welcome and config
// messages). Before the first pull from one of them, the agent writes the cluster root into the
// engine's per-registry certificate directory, `<certs.d>/<HOST:PORT>/berth-<node id>.crt`; it
// removes what it wrote when the name is no longer announced, and when it stops or leaves.
//
// What the engines read (measured, docs/agent.md): Docker Engine, /etc/docker/certs.d/HOST:PORT;
// Podman, the first of $HOME/.config/containers/certs.d, /etc/containers/certs.d and
// /etc/docker/certs.d that has a HOST:PORT directory. Both read it at every pull, without a
// restart, and trust every *.crt in it beside the system roots.
//
// One file per node: agents sharing an engine (several nodes or clusters on one machine) never
// write, replace or remove each other's file, nor an operator's own ca.crt. The engine then trusts
// each of those roots for that HOST:PORT; a cluster whose agent drives the engine can already run
// anything on it, so trusting its root gives it nothing more.

import { mkdir, readdir, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import type { Logger } from '../../common/log.js';
import { TaskError } from './engine-errors.js';
import { engineIsPodman } from './engine-kind.js';

export const DOCKER_CERTS_DIR = '/etc/docker/certs.d';
export const PODMAN_CERTS_DIR = '/etc/containers/certs.d';

export interface RegistryTrustOptions {
  docker: Dockerode;
  /** Where the engine reads per-registry certificates; default by engine (engineCertsDir). */
  certsDir?: string;
  /** The node and the cluster root it trusts, as currently held (the root changes with a rotation). */
  identity: () => { nodeId: string; rootCA: string } | undefined;
  log: Logger;
}

/** engineCertsDir: the certs.d directory Berth writes to for this engine (Podman's or Docker Engine's system one). */
export async function engineCertsDir(docker: Dockerode): Promise<string> {
  return (await engineIsPodman(docker)) ? PODMAN_CERTS_DIR : DOCKER_CERTS_DIR;
}

export class RegistryTrust {
  #names = new Set<string>();
  #dir: string | undefined;
  /** File operations run one at a time: an announcement never races a pull's write. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: RegistryTrustOptions) {}

  /** announce replaces the registry names (absent from a welcome: none) and removes this node's files for the others. */
  announce(names: readonly string[]): Promise<void> {
    this.#names = new Set(names);
    return this.#serial(() => this.#removeExcept(this.#names));
  }

  /**
   * beforePull makes the engine trust the cluster root for `registry` if it is the cluster's
   * registry; a failure to write is the task's error, naming the file and the fix.
   */
  beforePull(registry: string): Promise<void> {
    if (!this.#names.has(registry)) return Promise.resolve();
    return this.#serial(async () => {
      const id = this.opts.identity();
      if (!id || !this.#names.has(registry)) return;
      let file = '';
      try {
        file = join(await this.#certsDir(), registry, fileName(id.nodeId));
        if ((await readFile(file, 'utf8').catch(() => '')) === id.rootCA) return;
        await mkdir(join(file, '..'), { recursive: true, mode: 0o755 });
        await writeFile(`${file}.tmp`, id.rootCA, { mode: 0o644 });
        await rename(`${file}.tmp`, file);
        this.opts.log.info({ registry, file }, "the engine trusts the cluster root for the cluster's registry");
      } catch (err) {
        throw new TaskError(
          `cannot make the engine trust the cluster's registry ${registry}: writing ${file || 'its certs.d directory'} failed (${(err as Error).message}); ` +
            'run the agent as root, or give --registry-certs-dir DIR where the engine reads registry certificates',
        );
      }
    });
  }

  /** clear removes every file this node wrote (the agent stops or left the cluster). */
  clear(): Promise<void> {
    this.#names = new Set();
    return this.#serial(() => this.#removeExcept(new Set()));
  }

  async #removeExcept(keep: ReadonlySet<string>): Promise<void> {
    const id = this.opts.identity();
    if (!id) return;
    let dir: string;
    try {
      dir = await this.#certsDir();
    } catch (err) {
      this.opts.log.debug({ err: (err as Error).message }, 'no engine to ask where its registry certificates are: nothing removed');
      return;
    }
    const entries = await readdir(dir).catch(() => [] as string[]);
    for (const registry of entries.filter((e) => !keep.has(e))) {
      const file = join(dir, registry, fileName(id.nodeId));
      try {
        await rm(file);
      } catch {
        continue; // not ours there
      }
      // The HOST:PORT directory goes too once empty; anything of someone else's keeps it.
      await rmdir(join(dir, registry)).catch(() => undefined);
      this.opts.log.info({ registry, file }, "removed the cluster root for a registry this node no longer pulls from");
    }
  }

  async #certsDir(): Promise<string> {
    this.#dir ??= this.opts.certsDir ?? (await engineCertsDir(this.opts.docker));
    return this.#dir;
  }

  #serial<T>(op: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(op);
    this.#queue = next.catch(() => undefined);
    return next;
  }
}

const fileName = (nodeId: string): string => `berth-${nodeId}.crt`;
