// The node's end of the WireGuard tunnel encrypted overlays run in (docs/networking.md): one
// interface whose address, port and peers match the manager's TunnelView, and the nft guard
// that keeps cleartext out of it. Level-triggered: each apply reads the interface back and
// changes only what differs, so a restarted agent adopts what the last one built and a second
// apply of one view changes nothing. Applies run one at a time.

import type { Logger } from '../../common/log.js';
import { TUNNEL_MTU, type TunnelView } from '../../types/network-view.js';
import { ensureDevice, linkState, removeDevice, type TunnelKind } from './tunnel-device.js';
import { must } from './tunnel-exec.js';
import { ensureGuard, removeGuard } from './tunnel-guard.js';
import { loadTunnelKeys, type TunnelKeys } from './tunnel-keys.js';
import { tunnelConfig } from './tunnel-view.js';
import { configureWg } from './tunnel-wg.js';

export const TUNNEL_INTERFACE = 'berth-wg';

export interface NodeTunnelOptions {
  log: Logger;
  /** The agent's data dir: the private key is kept there (tunnel.key, 0600). */
  dataDir: string;
  /**
   * The interface (at most 15 characters). Nodes sharing a filesystem but not a network
   * namespace (test hosts) need one each: wireguard-go's control socket is named after it.
   */
  interfaceName?: string;
}

export class NodeTunnel {
  readonly interfaceName: string;
  readonly #log: Logger;
  readonly #dataDir: string;
  #keys: Promise<TunnelKeys> | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(opts: NodeTunnelOptions) {
    this.interfaceName = opts.interfaceName ?? TUNNEL_INTERFACE;
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/.test(this.interfaceName)) {
      throw new Error(`tunnel interface name ${JSON.stringify(this.interfaceName)}: 1 to 15 letters, digits, '_', '.' or '-'`);
    }
    this.#log = opts.log;
    this.#dataDir = opts.dataDir;
  }

  /** publicKey is the node's WireGuard public key (base64), for its hello; the key pair is made on first use. */
  async publicKey(): Promise<string> {
    return (await this.#ensureKeys()).publicKey;
  }

  /**
   * apply makes the tunnel match the view, or removes it when there is none; it resolves to what
   * it changed (nothing when the tunnel already matched). A bad view is an InvalidArgumentError
   * naming the field, and changes nothing.
   */
  apply(view: TunnelView | undefined): Promise<string[]> {
    return this.#serial(async () => {
      if (!view) return this.#remove();
      const keys = await this.#ensureKeys();
      const config = tunnelConfig(view, keys.publicKey);
      const name = this.interfaceName;
      const changes = await ensureGuard(name);
      const device = await ensureDevice(name, this.#log);
      changes.push(...device.changes);
      changes.push(...(await configureWg(name, keys, config.peers)));
      changes.push(...(await this.#configureLink(config.address)));
      if (changes.length > 0) this.#log.info({ interface: name, kind: device.kind, changes }, 'tunnel applied');
      return changes;
    });
  }

  /** kind says what drives the interface now: the kernel, wireguard-go, or nothing. */
  async kind(): Promise<TunnelKind | undefined> {
    const link = await linkState(this.interfaceName);
    return link && (link.kind === 'wireguard' ? 'kernel' : 'wireguard-go');
  }

  /** close waits for the apply under way and stops taking more; the tunnel stays up for the next agent. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#queue.catch(() => undefined);
  }

  /** remove takes the interface (and its wireguard-go) and the guard away; the key pair stays. */
  remove(): Promise<string[]> {
    return this.#serial(() => this.#remove());
  }

  async #remove(): Promise<string[]> {
    // The interface first: until it is gone, the guard still keeps cleartext out.
    const changes = [...(await removeDevice(this.interfaceName)), ...(await removeGuard())];
    if (changes.length > 0) this.#log.info({ interface: this.interfaceName, changes }, 'tunnel removed');
    return changes;
  }

  async #configureLink(address: string): Promise<string[]> {
    const name = this.interfaceName;
    const changes: string[] = [];
    const link = (await linkState(name))!;
    if (link.mtu !== TUNNEL_MTU) {
      await must('ip', ['link', 'set', 'dev', name, 'mtu', String(TUNNEL_MTU)]);
      changes.push(`mtu ${TUNNEL_MTU}`);
    }
    const [info] = JSON.parse(await must('ip', ['-j', '-4', 'addr', 'show', 'dev', name])) as { addr_info?: { local: string; prefixlen: number }[] }[];
    const addresses = (info?.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`);
    for (const a of addresses.filter((a) => a !== address)) {
      await must('ip', ['addr', 'del', a, 'dev', name]);
      changes.push(`removed address ${a}`);
    }
    if (!addresses.includes(address)) {
      await must('ip', ['addr', 'add', address, 'dev', name]);
      changes.push(`address ${address}`);
    }
    if (!link.up) {
      await must('ip', ['link', 'set', 'dev', name, 'up']);
      changes.push('up');
    }
    return changes;
  }

  #ensureKeys(): Promise<TunnelKeys> {
    this.#keys ??= loadTunnelKeys(this.#dataDir);
    // A failure (an unreadable data dir) is tried again next time.
    this.#keys.catch(() => (this.#keys = undefined));
    return this.#keys;
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new Error('the tunnel is closed'));
    const next = this.#queue.then(fn, fn);
    this.#queue = next.catch(() => undefined);
    return next;
  }
}
