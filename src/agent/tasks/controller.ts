// One task's container on the engine: find it, prepare (pull if absent, create), start, wait,
// shut down, remove. The worker's state machine decides which to call; every call here is
// idempotent so a retry after a temporary error or an agent restart is safe.

import type Dockerode from 'dockerode';
import type { Logger } from '../../common/log.js';
import { specHealthcheck } from '../../common/healthcheck.js';
import type { EndpointPortConfig, Task } from '../../types/index.js';
import { LABEL_NODE, LABEL_TASK, containerConfig, containerName, endpointConfig, stopGraceSeconds } from './container-config.js';
import { checkBindSources, validateMounts } from './mounts.js';
import { ownedBy, type Owner } from './ownership.js';
import { TaskError, engineMessage, isGone, statusOf } from '../engine/engine-errors.js';
import { healthPolicy } from '../health/health-policy.js';
import type { HealthPolicy } from '../health/health-policy.js';
import { readAll } from '../engine/progress.js';
import type { ImagePuller } from '../engine/image-pull.js';
import { EngineNetworks, engineNetworkName, isNetworkMissing } from './networks.js';
import type { TaskFiles } from './task-files.js';

/** What the engine says about an existing container. */
export interface ContainerState {
  id: string;
  /** created | running | paused | restarting | exited | dead | removing */
  status: string;
  pid: number;
  exitCode: number;
}

export interface StartedContainer {
  id: string;
  pid: number;
  ports: EndpointPortConfig[];
}

// Engines list a container being set up as created (Docker) or configured (Podman).
const STATUS_PREFERENCE = ['running', 'restarting', 'paused', 'created', 'configured', 'exited', 'dead', 'removing'];

export class TaskController {
  /** The task's container once found or created. */
  containerId: string | undefined;

  constructor(
    private readonly docker: Dockerode,
    private readonly task: Task,
    private readonly owner: Owner,
    private readonly log: Logger,
    private readonly files: TaskFiles,
    private readonly networks: EngineNetworks,
    private readonly images: ImagePuller,
  ) {}

  /**
   * locate finds the container this node made for the task, if any. Should an engine hold more
   * than one, the most advanced is kept and the others removed: never two containers per task.
   */
  async locate(): Promise<ContainerState | undefined> {
    const listed = await this.docker.listContainers({
      all: true,
      filters: { label: [`${LABEL_NODE}=${this.owner.nodeId}`, `${LABEL_TASK}=${this.task.ID}`] },
    });
    const found = listed.filter((c) => ownedBy(c.Labels, this.owner.clusterId));
    const rank = (c: Dockerode.ContainerInfo): number => {
      const i = STATUS_PREFERENCE.indexOf(c.State);
      return i < 0 ? STATUS_PREFERENCE.length : i;
    };
    found.sort((a, b) => rank(a) - rank(b) || b.Created - a.Created);
    const [keep, ...extra] = found;
    for (const c of extra) {
      this.log.warn({ task: this.task.ID, container: c.Id }, 'removing a duplicate container of the task');
      await removeContainer(this.docker.getContainer(c.Id));
    }
    if (!keep) return undefined;
    return this.inspect(keep.Id);
  }

  /**
   * prepare makes sure the task's secret and config files and its container exist: reuse the
   * task's own container, else check its mounts (mounts.ts), pull if needed and create. Files
   * are checked every time, so a container made before an agent restart (or a reboot, which
   * empties the tmpfs) finds them.
   */
  async prepare(): Promise<void> {
    await this.files.write(this.task);
    if (this.containerId) return;
    const name = containerName(this.task);
    const existing = await this.ownedByName(name);
    if (existing) {
      this.containerId = existing;
      return;
    }
    validateMounts(this.task.Spec.ContainerSpec?.Mounts ?? []);
    await this.ensureImage();
    await this.networks.ensure(this.task.NetworksAttachments ?? []);
    const config = containerConfig(this.task, this.owner, { files: this.files.mounts(this.task) });
    // Last before the create: Podman would make a missing source a directory on the host.
    await checkBindSources(config.HostConfig?.Mounts ?? []);
    try {
      const created = await this.docker.createContainer(config);
      this.containerId = created.id;
    } catch (err) {
      // A create that reached the engine before an earlier attempt failed leaves the name taken.
      const owned = await this.ownedByName(name);
      if (owned) this.containerId = owned;
      // Another node's agent on this engine may have removed the network as unused meanwhile:
      // a system-style code makes the runner retry, and the retry creates it again.
      else if (isNetworkMissing(err)) throw Object.assign(new Error(engineMessage(err)), { code: 'ENETWORKGONE' });
      else throw err;
    }
    this.log.debug({ task: this.task.ID, container: this.containerId }, 'container created');
  }

  async start(): Promise<StartedContainer> {
    const id = this.requireContainer();
    await this.attachNetworks();
    try {
      await this.docker.getContainer(id).start();
    } catch (err) {
      if (statusOf(err) !== 304) throw err; // 304: already started
    }
    const info = await this.docker.getContainer(id).inspect();
    return { id, pid: info.State.Pid, ports: publishedPorts(info) };
  }

  /**
   * wait resolves with the exit code once the (started) container stops running. It reads the
   * response itself: dockerode's wait never settles if the engine dies after sending headers.
   */
  async wait(signal: AbortSignal): Promise<number> {
    const id = this.requireContainer();
    const response = await new Promise<NodeJS.ReadableStream>((resolve, reject) =>
      this.docker.modem.dial(
        {
          path: `/containers/${encodeURIComponent(id)}/wait?`,
          method: 'POST',
          isStream: true,
          abortSignal: signal,
          options: { condition: 'not-running' },
          statusCodes: { 200: true, 400: 'bad parameter', 404: 'no such container', 500: 'server error' },
        },
        (err, res) => (err ? reject(err) : resolve(res as NodeJS.ReadableStream)),
      ),
    );
    const result = JSON.parse(await readAll(response)) as { StatusCode: number; Error?: { Message?: string } | null };
    if (result.Error?.Message) throw new TaskError(result.Error.Message);
    return result.StatusCode;
  }

  /** healthPolicy: the check gating the task (the service's Healthcheck over the image's), if any. */
  async healthPolicy(): Promise<HealthPolicy | undefined> {
    const spec = this.task.Spec.ContainerSpec;
    const check = specHealthcheck(spec);
    if (check?.Test?.[0] === 'NONE') return undefined;
    let image: Dockerode.ImageInspectInfo | undefined;
    try {
      image = spec?.Image ? await this.docker.getImage(spec.Image).inspect() : undefined;
    } catch (err) {
      // The image may be gone since the container was made; its healthcheck went with it.
      if (statusOf(err) !== 404) throw err;
    }
    return healthPolicy(check, image?.Config?.Healthcheck);
  }

  /** shutdown stops the container: stop signal, the grace period, then SIGKILL (the engine's `stop?t=`). */
  async shutdown(): Promise<number | undefined> {
    if (!this.containerId) return undefined;
    const container = this.docker.getContainer(this.containerId);
    try {
      await container.stop({ t: stopGraceSeconds(this.task) });
    } catch (err) {
      if (isGone(err)) return undefined;
      if (statusOf(err) !== 304) throw err; // 304: not running
    }
    return (await this.inspect(this.containerId))?.exitCode;
  }

  async remove(): Promise<void> {
    if (!this.containerId) return;
    await removeContainer(this.docker.getContainer(this.containerId));
    this.containerId = undefined;
  }

  /**
   * attachNetworks joins the task's networks the container is not on yet (all but the first,
   * joined at create) before it starts, each at the task's allocated address.
   */
  private async attachNetworks(): Promise<void> {
    const attachments = this.task.NetworksAttachments ?? [];
    if (attachments.length === 0) return;
    await this.networks.ensure(attachments);
    const info = await this.docker.getContainer(this.requireContainer()).inspect();
    const joined = info.NetworkSettings?.Networks ?? {};
    for (const a of attachments) {
      const name = engineNetworkName(a.Network);
      if (joined[name]) continue;
      await this.docker.getNetwork(name).connect({ Container: info.Id, EndpointConfig: endpointConfig(a) });
    }
  }

  /** hasNetworks: the task is on overlay networks, where load balancers and resolvers must let go of it before it stops. */
  get hasNetworks(): boolean {
    return (this.task.NetworksAttachments ?? []).length > 0;
  }

  async inspect(id: string): Promise<ContainerState | undefined> {
    try {
      const info = await this.docker.getContainer(id).inspect();
      this.containerId = info.Id;
      return { id: info.Id, status: info.State.Status, pid: info.State.Pid, exitCode: info.State.ExitCode };
    } catch (err) {
      if (isGone(err)) return undefined;
      throw err;
    }
  }

  private requireContainer(): string {
    if (!this.containerId) throw new TaskError(`task: no container for task ${this.task.ID}`);
    return this.containerId;
  }

  private async ownedByName(name: string): Promise<string | undefined> {
    let info: Dockerode.ContainerInspectInfo;
    try {
      info = await this.docker.getContainer(name).inspect();
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
    const labels = info.Config.Labels ?? {};
    if (labels[LABEL_TASK] !== this.task.ID || labels[LABEL_NODE] !== this.owner.nodeId || !ownedBy(labels, this.owner.clusterId)) {
      throw new TaskError(`container name "${name}" is already in use by container ${info.Id.slice(0, 12)}, which is not this node's`);
    }
    return info.Id;
  }

  /** ensureImage pulls the image only when the engine does not have it, following the pull to its end. */
  private async ensureImage(): Promise<void> {
    const image = this.task.Spec.ContainerSpec?.Image;
    if (!image) throw new TaskError('task: the container spec names no image');
    try {
      await this.docker.getImage(image).inspect();
      return;
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
    await this.images.pull(image, this.task.ID, this.log);
  }
}

/** removeContainer force-removes a container; one already gone or being removed counts as done. */
export async function removeContainer(container: Dockerode.Container): Promise<void> {
  try {
    await container.remove({ force: true, v: true });
  } catch (err) {
    if (!isGone(err) && statusOf(err) !== 409) throw err;
  }
}

function publishedPorts(info: Dockerode.ContainerInspectInfo): EndpointPortConfig[] {
  const ports: EndpointPortConfig[] = [];
  for (const [key, bindings] of Object.entries(info.NetworkSettings?.Ports ?? {})) {
    const [target, protocol] = key.split('/');
    for (const b of bindings ?? []) {
      if (!b.HostPort) continue;
      ports.push({
        Protocol: (protocol ?? 'tcp') as EndpointPortConfig['Protocol'],
        TargetPort: Number(target),
        PublishedPort: Number(b.HostPort),
        PublishMode: 'host',
      });
    }
  }
  return ports;
}
