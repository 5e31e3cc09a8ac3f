// Berth's resolver for overlay networks: a DNS server on each network's gateway address, in the
// agent (host network namespace), answering service, alias, task-list and task names from the
// manager's network views and forwarding other names to the host's nameservers. Task containers
// get their first network's gateway as their only nameserver. See docs/networking.md.

import type { Logger } from '../../common/log.js';
import { contains, parseIPv4 } from '../../common/subnets.js';
import type { NodeNetworkView } from '../../types/network-view.js';
import { Listener, type QueryHandler } from './listener.js';
import { buildZone, lookup, type LocalContainer, type Zone } from './records.js';
import { Forwarder, readResolvConf, type Upstream } from './upstream.js';
import { localAnswer, parseQuery, serverFailure } from './wire.js';

export interface OverlayResolverOptions {
  log: Logger;
  /** 53; tests use a high port. */
  port?: number;
  /** The nameservers for names we do not own; default: those of `resolvConf`. */
  upstreams?: Upstream[];
  resolvConf?: string;
  /** Per upstream server and query (moby: 4 s). */
  forwardTimeoutMs?: number;
  /** How often binding a gateway address the host does not have yet is retried, besides at every update. */
  retryMs?: number;
}

const RETRY_MS = 1_000;

export class OverlayResolver {
  private readonly log: Logger;
  private readonly port: number;
  private readonly forwarder: Forwarder;
  private readonly retryMs: number;
  private zone: Zone = buildZone([], []);
  /** Network id → gateway it must listen on. */
  private wanted = new Map<string, string>();
  private gateways = new Set<string>();
  private readonly listeners = new Map<string, Listener>();
  /** Network id → the last bind error logged, so a missing address is logged once, not every second. */
  private readonly bindErrors = new Map<string, string>();
  private reconciling: Promise<void> = Promise.resolve();
  private retry: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(options: OverlayResolverOptions) {
    this.log = options.log;
    this.port = options.port ?? 53;
    this.retryMs = options.retryMs ?? RETRY_MS;
    const upstreams = options.upstreams ?? readResolvConf(options.resolvConf ?? '/etc/resolv.conf');
    if (upstreams.length === 0) this.log.warn('overlay DNS: no nameserver to forward to; names outside the cluster will fail (SERVFAIL)');
    this.forwarder = new Forwarder(upstreams, options.forwardTimeoutMs);
  }

  /**
   * update replaces what the resolver answers (at once) and the addresses it listens on (the
   * promise settles once binding has been tried; it never rejects). `local` lists this node's
   * containers on overlay networks: how the resolver knows which networks a query may see.
   */
  update(views: readonly NodeNetworkView[], local: readonly LocalContainer[]): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.zone = buildZone(views, local);
    this.wanted = new Map(views.filter((v) => this.zone.networks.has(v.id)).map((v) => [v.id, v.gateway]));
    this.gateways = new Set(this.wanted.values());
    return this.reconcile();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    this.wanted = new Map();
    this.forwarder.close();
    await this.reconcile();
  }

  private reconcile(): Promise<void> {
    this.reconciling = this.reconciling.then(() => this.applyListeners());
    return this.reconciling;
  }

  private async applyListeners(): Promise<void> {
    for (const [id, listener] of this.listeners) {
      if (this.wanted.get(id) === listener.address) continue;
      this.listeners.delete(id);
      await listener.close();
    }
    let missing = false;
    for (const [id, gateway] of this.wanted) {
      if (this.listeners.has(id)) continue;
      try {
        this.listeners.set(id, await Listener.open(gateway, this.port, this.handler(id), (err) => this.log.warn({ err, network: id }, 'overlay DNS socket error')));
        this.bindErrors.delete(id);
        this.log.debug({ network: id, address: gateway }, 'overlay DNS listening');
      } catch (err) {
        missing = true;
        const text = (err as Error).message;
        if (this.bindErrors.get(id) !== text) this.log.info({ network: id, address: gateway, err: text }, 'overlay DNS cannot listen yet; retrying');
        this.bindErrors.set(id, text);
      }
    }
    for (const id of this.bindErrors.keys()) if (!this.wanted.has(id)) this.bindErrors.delete(id);
    clearTimeout(this.retry);
    if (missing && !this.closed) {
      this.retry = setTimeout(() => void this.reconcile(), this.retryMs);
      this.retry.unref();
    }
  }

  private handler(networkId: string): QueryHandler {
    return {
      // Only the network's own hosts are answered: never the network or broadcast address, never an outside address (no reflection).
      accepts: (source: string): boolean => {
        const subnet = this.zone.networks.get(networkId)?.subnet;
        const ip = parseIPv4(source);
        if (!subnet || ip === undefined || !contains(subnet, ip)) return false;
        return subnet.bits > 30 || (ip !== subnet.base && ip !== subnet.base + 2 ** (32 - subnet.bits) - 1);
      },
      answer: async (msg: Buffer, source: string, tcp: boolean): Promise<Buffer | undefined> => {
        const query = parseQuery(msg);
        const audience = this.zone.audience(networkId, parseIPv4(source) ?? -1);
        if (!query || !audience) return undefined;
        const found = lookup(audience, query.name);
        if (found) return localAnswer(query, found, tcp);
        if (!audience.forward) return serverFailure(query);
        return (await this.forwarder.forward(msg, tcp, (u) => this.isSelf(u))) ?? serverFailure(query);
      },
    };
  }

  /** A host nameserver that is one of our own addresses would have us forward to ourselves. */
  private isSelf(upstream: Upstream): boolean {
    return upstream.port === this.port && this.gateways.has(upstream.address);
  }
}
