// Plain containers (`docker run --network`) on this node's attachable overlays: the engine gives
// them addresses from the node's block (src/agent/tasks/networks.ts) and says nothing to Berth, so
// the agent looks every second while an attachable network is in the view, and reports the whole
// set to the manager whenever it changes (and after each reconnect). Other nodes then get their
// forwarding entries and names in the next view: Swarm's network attachments, without a hook
// into the engine.

import type Dockerode from 'dockerode';
import type { Logger } from '../../common/log.js';
import type { AttachmentsMessage, NodeNetworkView } from '../../types/index.js';
import { LABEL_TASK } from '../tasks/container-config.js';
import { engineNetworkNameOf } from '../tasks/networks.js';

const POLL_MS = 1_000;

export interface PlainContainersOptions {
  docker: Dockerode;
  log: Logger;
  send: (msg: AttachmentsMessage) => void;
  pollMs?: number;
}

export class PlainContainers {
  /** Engine network name → Berth network ID, for the attachable networks in the view. */
  #networks = new Map<string, string>();
  #timer: NodeJS.Timeout | undefined;
  #lastSent: string | undefined;
  #polling: Promise<void> | undefined;
  #closed = false;

  constructor(private readonly opts: PlainContainersOptions) {}

  /** update follows the latest view: polling runs while it has an attachable network. */
  update(views: readonly NodeNetworkView[]): void {
    this.#networks = new Map(views.filter((v) => v.attachable).map((v) => [engineNetworkNameOf(v.name, v.id), v.id]));
    if (this.#closed) return;
    if (this.#networks.size > 0) this.#schedule(0);
    else if (this.#lastSent !== undefined && this.#lastSent !== '[]') this.#schedule(0); // one last, empty report
  }

  /** resend: a new session knows nothing yet. */
  resend(): void {
    this.#lastSent = undefined;
    if (this.#networks.size > 0) this.#schedule(0);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#polling;
  }

  #schedule(ms: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#polling = this.#poll().finally(() => {
        this.#polling = undefined;
        if (!this.#closed && this.#networks.size > 0) this.#schedule(this.opts.pollMs ?? POLL_MS);
      });
    }, ms);
  }

  async #poll(): Promise<void> {
    const networks = this.#networks;
    let attachments: AttachmentsMessage['attachments'] = [];
    try {
      if (networks.size > 0) attachments = await this.#list(networks);
    } catch (err) {
      this.opts.log.warn({ err }, 'listing plain containers on attachable networks failed');
      return;
    }
    const text = JSON.stringify(attachments);
    if (text === this.#lastSent) return;
    this.#lastSent = text;
    this.opts.send({ type: 'attachments', attachments });
  }

  async #list(networks: ReadonlyMap<string, string>): Promise<AttachmentsMessage['attachments']> {
    const containers = await this.opts.docker.listContainers({ filters: { network: [...networks.keys()] } });
    const out: AttachmentsMessage['attachments'] = [];
    for (const c of containers) {
      if (c.Labels?.[LABEL_TASK]) continue; // a task: the manager gave its address
      const name = (c.Names?.[0] ?? '').replace(/^\//, '');
      for (const [engineName, settings] of Object.entries(c.NetworkSettings?.Networks ?? {})) {
        const networkId = networks.get(engineName);
        if (!networkId || !settings.IPAddress || !settings.MacAddress) continue;
        out.push({ networkId, containerId: c.Id, name, ip: settings.IPAddress, mac: settings.MacAddress.toLowerCase() });
      }
    }
    return out.sort((a, b) => (a.networkId + a.ip < b.networkId + b.ip ? -1 : 1));
  }
}
