// Engine addresses and the first calls made on a new connection (ping, version), with timeouts
// so a dead TCP peer cannot hang `berth up`.

import Dockerode from 'dockerode';
import { InvalidArgumentError, UnavailableError } from '../../types/index.js';

const PING_TIMEOUT_MS = 5_000;
// Podman answers /version from a full runtime info (storage, cgroups, helper binaries' versions):
// 0.4 s when idle, over 5 s on a busy 2-core machine. The ping already proved the peer is alive.
const VERSION_TIMEOUT_MS = 30_000;

/** normaliseUrl accepts unix:///path, a plain absolute path, tcp://host:port or http://host:port. */
export function normaliseUrl(target: string): string {
  if (target.startsWith('unix://')) {
    if (!target.slice(7).startsWith('/')) throw badEngine(target);
    return target;
  }
  if (target.startsWith('/')) return `unix://${target}`;
  const m = /^(tcp|http):\/\/([^/:]+|\[[^\]]+\]):(\d+)\/?$/.exec(target);
  if (m) return `tcp://${m[2]}:${m[3]}`;
  throw badEngine(target);
}

function badEngine(target: string): InvalidArgumentError {
  return new InvalidArgumentError(
    `invalid engine address "${target}": use unix:///path/to/engine.sock, a socket path, or tcp://host:port`,
  );
}

/** dockerFor builds a client for a normalised URL; DOCKER_* variables cannot override it. */
export function dockerFor(url: string): Dockerode {
  if (url.startsWith('unix://')) {
    return new Dockerode({ socketPath: url.slice(7), host: undefined, port: undefined, protocol: 'http' });
  }
  const u = new URL(url.replace(/^tcp:/, 'http:'));
  return new Dockerode({ host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port, protocol: 'http', socketPath: undefined });
}

// dockerode's JS takes an abort signal on every call; its typings omit it on ping and version.
type Pingable = { ping(o: { abortSignal: AbortSignal }): Promise<unknown> };
type Versionable = { version(o: { abortSignal: AbortSignal }): Promise<Dockerode.DockerVersion> };

/** answers tells whether the engine replies to a ping within a few seconds. */
export async function answers(docker: Dockerode): Promise<boolean> {
  try {
    await ping(docker);
    return true;
  } catch {
    return false;
  }
}

export async function ping(docker: Dockerode): Promise<void> {
  await (docker as unknown as Pingable).ping({ abortSignal: AbortSignal.timeout(PING_TIMEOUT_MS) });
}

/**
 * A Berth manager speaks the Engine API too (its README suggests DOCKER_HOST=tcp://...:7420 for
 * the docker CLI), but running an agent's containers through it would loop back into Berth.
 */
export async function refuseBerth(docker: Dockerode, url: string, source: string): Promise<void> {
  let version: Dockerode.DockerVersion;
  try {
    version = await (docker as unknown as Versionable).version({ abortSignal: AbortSignal.timeout(VERSION_TIMEOUT_MS) });
  } catch (err) {
    throw new UnavailableError(`the container engine at ${url} answers ping but not /version: ${(err as Error).message}`);
  }
  const components = (version as { Components?: { Name?: string }[] }).Components ?? [];
  if (components.some((c) => c.Name === 'Berth')) {
    throw new InvalidArgumentError(
      `${url} (from ${source}) is a Berth manager, not a container engine: the agent needs Docker or Podman. ` +
        'Unset DOCKER_HOST for `berth up`/`berth agent` (keep it only for the docker CLI), ' +
        'or pass --engine unix:///path/to/engine.sock',
    );
  }
}
