// One test host: a network namespace with its own address on the test bridge, and, once
// started, its own Podman engine (own storage, run state, locks, network definitions, socket).
// Its processes share the machine's filesystem, so the engine's socket is reachable from the
// root namespace as from the host.

import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { dockerFor } from '../../../src/agent/engine/engine-client.js';
import { isolatedCertsDir, isolatedPodmanEnv, startPodman } from '../../../src/agent/engine/podman.js';
import { silentLogger } from '../../../src/common/log.js';
import { CapturedProcess } from '../process.js';
import { loadImage } from './images.js';
import { engineDir, hostName, netnsPath, networkDir } from './names.js';
import { must, run, type CommandResult } from './script.js';

export interface HostEngine {
  /** unix:///... — the Docker-compatible API of the host's Podman. */
  url: string;
  socket: string;
  docker: Dockerode;
}

export interface ExecOptions {
  /** Added to the host's environment. */
  env?: NodeJS.ProcessEnv;
  input?: string;
  timeoutMs?: number;
}

export class TestHost {
  /** The network namespace's path, for nsenter --net. */
  readonly netns: string;
  /** A directory of the host's own, removed with the network (its engine lives in engine/). */
  readonly dir: string;
  /** The bridge side of the host's veth (inside, the host's interface is eth0). */
  readonly link: string;
  #engine: HostEngine | undefined;
  #starting: Promise<HostEngine> | undefined;

  constructor(
    private readonly networkId: number,
    /** h1, h2, ... */
    readonly name: string,
    /** The host's address on the test bridge. */
    readonly ip: string,
  ) {
    this.link = hostName(networkId, name);
    this.netns = netnsPath(this.link);
    this.dir = join(networkDir(networkId), name);
  }

  /**
   * Where the host's engine reads per-registry CA certificates (its own, where a real host's
   * Podman reads /etc/containers/certs.d): give it to the host's agent as --registry-certs-dir.
   */
  get certsDir(): string {
    return isolatedCertsDir(engineDir(this.networkId, this.name));
  }

  /** The host's engine; startEngine must have finished. */
  get engine(): HostEngine {
    if (!this.#engine) throw new Error(`host ${this.name} has no engine: await startEngine() first`);
    return this.#engine;
  }

  /** startEngine starts the host's Podman service (once) and resolves when it answers. */
  startEngine(): Promise<HostEngine> {
    this.#starting ??= (async () => {
      const dataDir = engineDir(this.networkId, this.name);
      const socket = join(dataDir, 'podman.sock');
      // The tear-down stops it (it kills every process in the namespace), so its stop() is not kept.
      await startPodman({ dataDir, socket, log: silentLogger(), install: false, isolated: true, netns: this.netns });
      const url = `unix://${socket}`;
      this.#engine = { url, socket, docker: dockerFor(url) };
      return this.#engine;
    })();
    return this.#starting;
  }

  /**
   * The environment of the host's processes: this process's, and once the engine runs,
   * DOCKER_HOST and the podman CLI's configuration pointing at it, as on a real host.
   */
  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    const engine = this.#engine ? { DOCKER_HOST: this.#engine.url, ...isolatedPodmanEnv(engineDir(this.networkId, this.name)) } : {};
    return { ...process.env, ...engine, ...extra };
  }

  /**
   * spawn runs a long-lived process in the host, its output captured. It does not keep this
   * process alive: the network's tear-down kills it (at exit at the latest).
   */
  spawn(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): CapturedProcess {
    const p = new CapturedProcess(`${this.name}: ${cmd}`, cmd, args, { env: this.env(env), netns: this.netns });
    p.unref();
    return p;
  }

  /** exec runs a command in the host to its end; a failure is a result (code, stderr), not a throw. */
  exec(cmd: string, args: string[], opts: ExecOptions = {}): Promise<CommandResult> {
    return run({ cmd: 'nsenter', args: [`--net=${this.netns}`, '--', cmd, ...args], env: this.env(opts.env), input: opts.input, timeoutMs: opts.timeoutMs });
  }

  /**
   * cutLink makes the host vanish from the network: its veth goes down on the bridge side, so
   * its packets and those sent to it are dropped. Nobody is told: open TCP connections see
   * silence (retransmissions, no RST or FIN), as when a machine loses power or its cable.
   */
  async cutLink(): Promise<void> {
    await must({ cmd: 'ip', args: ['link', 'set', this.link, 'down'] });
  }

  async restoreLink(): Promise<void> {
    await must({ cmd: 'ip', args: ['link', 'set', this.link, 'up'] });
  }

  /** loadImage loads an image file (saveImage, `podman save`) into the host's engine. */
  async loadImage(file: string): Promise<void> {
    await loadImage(this.engine.docker, file);
  }
}
