// The node's overlay networking, driven by the manager's network view (one message replaces the
// last): the tunnel for encrypted networks first (its address is their VXLAN source), then the
// data path and load balancer, then the resolver's names; with no encrypted network left the
// tunnel goes last, after the devices that used it. Views arriving while one is applied are
// coalesced into the latest; a failed apply is retried, so the node converges on its own.

import type Dockerode from 'dockerode';
import type { Logger } from '../../common/log.js';
import { isObj } from '../../common/is-object.js';
import type { AttachmentsMessage, NetworkViewMessage, NodeNetworkView } from '../../types/index.js';
import { OverlayResolver } from '../dns/resolver.js';
import type { LocalContainer } from '../dns/records.js';
import type { EngineNetworks } from '../tasks/networks.js';
import { OverlayDataPath } from './datapath.js';
import { PlainContainers } from './plain-containers.js';
import type { NodeTunnel } from './tunnel.js';

const RETRY_MS = 2_000;

export interface NodeOverlayOptions {
  log: Logger;
  tunnel: NodeTunnel;
  /** The worker's engine networks: an overlay's engine network is made on the bridge the data path made. */
  engineNetworks: EngineNetworks;
  /** The addresses of this node's task containers on each of their networks, in attachment order. */
  localContainers: () => LocalContainer[];
  /** The resolver's port (53; tests use another). */
  resolverPort?: number;
  docker: Dockerode;
  /** Where reports of plain containers on attachable networks go (the manager). */
  sendAttachments: (msg: AttachmentsMessage) => void;
}

export class NodeOverlay {
  readonly #log: Logger;
  readonly #resolver: OverlayResolver;
  readonly #plain: PlainContainers;
  #dataPath: OverlayDataPath | undefined;
  #latest: NetworkViewMessage | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #retry: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(private readonly opts: NodeOverlayOptions) {
    this.#log = opts.log.child({ part: 'overlay' });
    this.#resolver = new OverlayResolver({ log: this.#log, ...(opts.resolverPort && { port: opts.resolverPort }) });
    this.#plain = new PlainContainers({ docker: opts.docker, log: this.#log, send: opts.sendAttachments });
  }

  /** resendAttachments: a new session with the manager starts from nothing. */
  resendAttachments(): void {
    this.#plain.resend();
  }

  /** receive takes a view from the manager; it is applied in the background. */
  receive(msg: NetworkViewMessage): void {
    if (!isObj(msg) || !Array.isArray(msg.networks) || typeof msg.address !== 'string') {
      this.#log.warn('ignored a malformed network view');
      return;
    }
    this.#latest = msg;
    this.#kick();
  }

  /** The networks in the latest view: their engine networks stay while the view has them. */
  networkIds(): Set<string> {
    return new Set((this.#latest?.networks ?? []).map((n) => n.id));
  }

  /** namesChanged: this node's tasks changed, so which container asks the resolver may have too. */
  namesChanged(): void {
    if (this.#latest) void this.#resolver.update(this.#latest.networks, this.opts.localContainers());
  }

  /** close stops applying; what is built stays, for the next agent to adopt. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    await this.#running?.catch(() => undefined);
    await Promise.all([this.#resolver.close(), this.opts.tunnel.close(), this.#plain.close()]);
  }

  #kick(): void {
    if (this.#closed) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#retry);
    this.#running = (async () => {
      do {
        this.#again = false;
        await this.#apply(this.#latest!);
      } while (this.#again && !this.#closed);
    })().finally(() => (this.#running = undefined));
  }

  async #apply(msg: NetworkViewMessage): Promise<void> {
    try {
      if (msg.tunnel) await this.opts.tunnel.apply(msg.tunnel);
      this.#dataPath ??= new OverlayDataPath({ underlay: msg.address, log: this.#log, beforeAddresses: (v: NodeNetworkView) => this.opts.engineNetworks.ensureView(v) });
      await this.#dataPath.apply(msg.networks, { underlay: msg.address, ...(msg.tunnel && { tunnel: msg.tunnel.address }) });
      await this.#resolver.update(msg.networks, this.opts.localContainers());
      // Only once the engine networks exist, with their blocks, can plain containers be on them.
      this.#plain.update(msg.networks);
      if (!msg.tunnel) await this.opts.tunnel.apply(undefined);
    } catch (err) {
      this.#log.error({ err }, `applying the network view failed; retrying in ${RETRY_MS / 1000} s`);
      this.#retry = setTimeout(() => this.#kick(), RETRY_MS);
    }
  }
}
