// Finds the container engine an agent drives, or provisions one: an explicit endpoint, then
// DOCKER_HOST, then /var/run/docker.sock, then a Podman API service Berth starts itself.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { UnavailableError } from '../../types/index.js';
import type { Logger } from '../../common/log.js';
import { answers, dockerFor, normaliseUrl, ping, refuseBerth } from './engine-client.js';
import { startPodman } from './podman.js';

export interface EngineOptions {
  /** unix:///path, tcp://host:port or a plain socket path. */
  engine?: string;
  /** Where Berth keeps the Podman socket, its containers.conf and its log. */
  dataDir: string;
  log: Logger;
  /** Install podman with apt-get when no engine is found (root with apt-get only). */
  install?: boolean;
}

export interface EngineConnection {
  docker: Dockerode;
  url: string;
  /** Stops the Podman service if this call started it; otherwise does nothing. */
  close(): Promise<void>;
}

const DEFAULT_SOCKET = '/var/run/docker.sock';

export async function connectEngine(opts: EngineOptions): Promise<EngineConnection> {
  const { log } = opts;
  if (opts.engine) return connectGiven(opts.engine, '--engine', log);
  const envHost = process.env.DOCKER_HOST;
  if (envHost) return connectGiven(envHost, 'DOCKER_HOST', log);
  if (existsSync(DEFAULT_SOCKET)) {
    const url = `unix://${DEFAULT_SOCKET}`;
    const docker = dockerFor(url);
    if (await answers(docker)) {
      await refuseBerth(docker, url, DEFAULT_SOCKET);
      log.info({ engine: url }, 'using the container engine');
      return { docker, url, close: async () => {} };
    }
    log.warn({ socket: DEFAULT_SOCKET }, 'engine socket does not answer; using Podman instead');
  }
  return connectPodman(opts);
}

/** An engine the user named must answer: falling back silently would hide their mistake. */
async function connectGiven(target: string, source: string, log: Logger): Promise<EngineConnection> {
  const url = normaliseUrl(target);
  const docker = dockerFor(url);
  try {
    await ping(docker);
  } catch (err) {
    throw new UnavailableError(
      `the container engine at ${url} (from ${source}) does not answer: ${(err as Error).message}; ` +
        'start the engine or point Berth at another one with --engine',
    );
  }
  await refuseBerth(docker, url, source);
  log.info({ engine: url }, 'using the container engine');
  return { docker, url, close: async () => {} };
}

/** connectPodman reuses or starts Berth's own Podman service in dataDir, whatever else is running. */
export async function connectPodman(opts: EngineOptions): Promise<EngineConnection> {
  const socket = join(opts.dataDir, 'podman.sock');
  const url = `unix://${socket}`;
  const docker = dockerFor(url);
  let stop = async (): Promise<void> => {};
  if (await answers(docker)) {
    // A previous Berth (or another process sharing the data dir) left it running.
    opts.log.info({ engine: url }, 'reusing the running Podman service');
  } else {
    const service = await startPodman({ dataDir: opts.dataDir, socket, log: opts.log, install: opts.install ?? false });
    stop = () => service.stop();
  }
  await refuseBerth(docker, url, socket);
  return { docker, url, close: stop };
}
