// Pulling a task's image: with the login the manager sent for the task, if any (kept on the node
// while the task is held, so every retry uses it), with the engine trusting the cluster root for
// the cluster's own registry (registry-trust.ts), and without TLS for the registries the agent
// was told are plain HTTP (--insecure-registry). Docker Engine decides that itself (127.0.0.0/8
// and its own insecure-registries); Podman's Docker-compatible pull ignores tlsVerify and reads
// registries.conf only when its service starts, so for those registries the agent uses Podman's
// own pull endpoint, which takes tlsVerify=false per pull. Credentials are never logged.

import type Dockerode from 'dockerode';
import type { Logger } from '../../common/log.js';
import { registryOf } from '../../common/pull-auth.js';
import type { TaskPullAuth } from '../../types/index.js';
import { TaskError, engineMessage, statusOf } from './engine-errors.js';
import { engineIsPodman } from './engine-kind.js';
import { ProgressError, followProgress } from './progress.js';

const UNAUTHORIZED = /unauthori[sz]ed|authentication required|401/i;

export class ImagePuller {
  constructor(
    private readonly docker: Dockerode,
    /** Registries (host:port) reached over plain HTTP. */
    private readonly insecure: ReadonlySet<string>,
    /** The login for a task, as last sent by the manager. */
    private readonly authFor: (taskId: string) => TaskPullAuth | undefined,
    /** Called before a pull over TLS: makes the engine trust the registry if it is the cluster's. */
    private readonly trust: (registry: string) => Promise<void> = async () => {},
  ) {}

  /** pull fetches `image` for task `taskId`; a refusal by the registry is a TaskError naming the registry and why. */
  async pull(image: string, taskId: string, log: Logger): Promise<void> {
    const registry = registryOf(image);
    const auth = this.authFor(taskId);
    const plainHttp = this.insecure.has(registry);
    log.info({ task: taskId, image, registry, withLogin: !!auth, plainHttp }, 'pulling image');
    if (!plainHttp) await this.trust(registry);
    try {
      if (plainHttp && (await engineIsPodman(this.docker))) await followProgress(await this.podmanPull(image, auth));
      else await followProgress(await this.docker.pull(image, auth ? { authconfig: { base64: auth.auth } } : {}));
    } catch (err) {
      // The engine answered: the registry refused or failed, which retrying does not fix (as in Swarm).
      if (statusOf(err) === undefined && !(err instanceof ProgressError)) throw err;
      throw new TaskError(pullFailure(image, registry, auth, engineMessage(err)));
    }
  }

  /** podmanPull: Podman's libpod pull, the one that takes tlsVerify per request. */
  private podmanPull(image: string, auth: TaskPullAuth | undefined): Promise<NodeJS.ReadableStream> {
    return new Promise((resolve, reject) =>
      this.docker.modem.dial(
        {
          // Podman serves libpod routes only under a version prefix; 4.0.0 is its lowest.
          path: '/v4.0.0/libpod/images/pull?',
          method: 'POST',
          isStream: true,
          options: { reference: image, tlsVerify: false },
          ...(auth && { authconfig: { base64: auth.auth } }),
          statusCodes: { 200: true, 400: 'bad parameter', 500: 'server error' },
        },
        (err, res) => (err ? reject(err) : resolve(res as NodeJS.ReadableStream)),
      ),
    );
  }
}

/** pullFailure is the task's Err for a failed pull: the registry, the reason, and for a refused login where it came from. */
export function pullFailure(image: string, registry: string, auth: TaskPullAuth | undefined, engineSays: string): string {
  if (!UNAUTHORIZED.test(engineSays)) return `pulling ${image}: ${engineSays}`;
  const why = auth
    ? `the registry refused the login from ${auth.source}; check its username and password`
    : 'the registry needs a login and the service has none: store a registry credential for it (POST /berth/v1/registry-credentials) or create the service with --with-registry-auth';
  return `pulling ${image} from registry ${registry}: unauthorized: ${why} (engine: ${engineSays})`;
}
