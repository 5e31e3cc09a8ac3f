// The agent's overlay data path and load balancer: apply(views) makes this node's kernel match
// the manager's network view — per network a bridge and a VXLAN device with forwarding entries
// for remote endpoints, and one nftables table for VIPs, ingress ports and SNAT. Level-triggered
// and idempotent: each apply reads the kernel (links, addresses, FDB, neighbours, the table) and
// changes only what differs, so an agent restarted (even after kill -9) changes nothing that is
// right and running containers stay connected. Applies run one at a time; those arriving
// meanwhile are coalesced into one with the latest view.

import type { Logger } from '../../common/log.js';
import { ENCRYPTED_VXLAN_PORT, VXLAN_PORT, type NodeNetworkView } from '../../types/network-view.js';
import { commandRunner, json, type CommandRunner } from './kernel.js';
import { planAddresses, planForwarding, planLinks, type FdbEntry, type KernelLink, type NeighEntry, type Vtep } from './links.js';
import { ALIAS_PREFIX, bridgeName, vxlanName } from './names.js';
import { TABLE, appliedForm, desiredRuleset, parseRuleset, rulesetBatch, type Ruleset } from './ruleset.js';

/** Applies between two full reads of the kernel (the table and every device). */
const FULL_READ_EVERY = 20;
import { checkIPv4, validateViews } from './validate.js';

export interface OverlayDataPathOptions {
  /** This node's underlay address (its advertise address): plain networks' VXLAN source, unless an apply names another. Needed before networks are applied, not to remove them. */
  underlay?: string;
  log: Logger;
  /** Run the commands in this network namespace (a path for nsenter --net) instead of the agent's own. */
  netns?: string;
  /**
   * Called for a network whose bridge has no address yet, after the bridge exists and before
   * its addresses are added: create the engine network on the bridge here (Podman refuses to
   * create a network whose subnet holds an address of the host).
   */
  beforeAddresses?: (view: NodeNetworkView) => Promise<void>;
}

export class OverlayDataPath {
  #underlay: string | undefined;
  /** This node's tunnel address: encrypted networks' VXLAN source (docs/networking.md, encrypted overlays). */
  #tunnel: string | undefined;
  readonly #log: Logger;
  readonly #kernel: CommandRunner;
  readonly #beforeAddresses: OverlayDataPathOptions['beforeAddresses'];
  #latest: NodeNetworkView[] = [];
  /**
   * What the last apply left in the kernel, while nothing put it in doubt: the next apply diffs
   * its table against this instead of reading 10,000 elements back, and skips the devices when
   * only backends changed. Forgotten on a failure, and every FULL_READ_EVERY applies, which then
   * read everything as the first apply after a start does.
   */
  #applied: { devices: string; ruleset: Ruleset; applies: number } | undefined;
  #queued: Promise<void> | undefined;
  #tail: Promise<void> = Promise.resolve();

  constructor(opts: OverlayDataPathOptions) {
    this.#underlay = opts.underlay === undefined ? undefined : checkIPv4('underlay', opts.underlay);
    this.#log = opts.log;
    this.#kernel = commandRunner(opts.netns);
    this.#beforeAddresses = opts.beforeAddresses;
  }

  /**
   * apply makes the kernel match these views (every network this node takes part in; networks
   * absent are removed). Resolves once an apply that started after this call has finished;
   * rejects with InvalidArgumentError for a bad view (nothing changed) or the command that failed.
   */
  apply(views: readonly NodeNetworkView[], sources: { underlay?: string; tunnel?: string } = {}): Promise<void> {
    const valid = validateViews(views);
    if (sources.underlay) this.#underlay = checkIPv4('underlay', sources.underlay);
    this.#tunnel = sources.tunnel === undefined ? undefined : checkIPv4('tunnel', sources.tunnel);
    // Networks need the node's underlay address: this throws, naming it, when none is known.
    if (valid.length > 0 && !this.#underlay) checkIPv4('underlay', this.#underlay);
    this.#latest = valid;
    if (!this.#queued) {
      this.#queued = this.#tail.then(() => {
        this.#queued = undefined;
        return this.#reconcile(this.#latest);
      });
      this.#tail = this.#queued.catch(() => undefined);
    }
    return this.#queued;
  }

  /** removeAll takes down every network's devices and the table: for an agent leaving the cluster. */
  removeAll(): Promise<void> {
    return this.apply([]);
  }

  async #reconcile(views: NodeNetworkView[]): Promise<void> {
    try {
      await this.#reconcileOnce(views);
    } catch (err) {
      this.#applied = undefined;
      throw err;
    }
  }

  async #reconcileOnce(views: NodeNetworkView[]): Promise<void> {
    const started = Date.now();
    const devices = JSON.stringify([this.#underlay, this.#tunnel, views.map((v) => ({ ...v, services: v.services.map((s) => s.vip ?? ''), tasks: [] }))]);
    const trusted = views.length > 0 && this.#applied && this.#applied.applies < FULL_READ_EVERY ? this.#applied : undefined;
    const want = views.length ? desiredRuleset(views) : undefined;
    if (trusted?.devices === devices && want) {
      const nft = rulesetBatch(want, trusted.ruleset);
      if (nft) await this.#kernel.run('nft', ['-f', '-'], nft + '\n');
      this.#applied = { devices, ruleset: appliedForm(want), applies: trusted.applies + 1 };
      if (nft) this.#log.info({ networks: views.length, changes: 1, ms: Date.now() - started }, 'overlay load balancer updated');
      return;
    }
    let links = await this.#links();
    const linkPlan = views.flatMap((v) => planLinks(v, this.#vtep(v), links));
    if (linkPlan.length) {
      await this.#batch('ip', linkPlan);
      links = await this.#links();
    }
    await this.#enableForwarding(views);
    const addressPlan: string[] = [];
    for (const v of views) {
      const bridge = links.get(bridgeName(v.vni));
      const bare = !bridge?.addr_info?.some((a) => a.family === 'inet' && a.local === v.gateway);
      if (bare && this.#beforeAddresses) await this.#beforeAddresses(v);
      addressPlan.push(...planAddresses(v, bridge));
    }
    // Read every network's entries at once: on a loaded host each command costs a process start.
    const entries = await Promise.all(
      views.map((v) =>
        Promise.all([
          json<FdbEntry>(this.#kernel, 'bridge', ['-j', 'fdb', 'show', 'dev', vxlanName(v.vni)]),
          json<NeighEntry>(this.#kernel, 'ip', ['-j', 'neigh', 'show', 'dev', vxlanName(v.vni)]),
        ]),
      ),
    );
    const bridgePlan: string[] = [];
    const neighPlan: string[] = [];
    views.forEach((v, i) => {
      const [fdb, neigh] = entries[i]!;
      const plan = planForwarding(v, fdb, neigh);
      bridgePlan.push(...plan.bridge);
      neighPlan.push(...plan.ip);
    });
    if (addressPlan.length || neighPlan.length) await this.#batch('ip', [...addressPlan, ...neighPlan]);
    if (bridgePlan.length) await this.#batch('bridge', bridgePlan);
    const table = trusted ? undefined : await this.#table();
    // With no network left the table goes too; otherwise it is changed in place.
    const nft = want ? rulesetBatch(want, trusted?.ruleset ?? parseRuleset(table)) : table ? `delete table ip ${TABLE}` : '';
    if (nft) await this.#kernel.run('nft', ['-f', '-'], nft + '\n');
    const removed = await this.#removeStale(views, links);
    this.#applied = want && { devices, ruleset: appliedForm(want), applies: trusted ? trusted.applies + 1 : 0 };
    const changes = linkPlan.length + addressPlan.length + neighPlan.length + bridgePlan.length + (nft ? 1 : 0) + removed;
    if (changes) this.#log.info({ networks: views.length, changes, ms: Date.now() - started }, 'overlay data path updated');
  }

  /**
   * Where a network's VXLAN sends from: the underlay and VXLAN's port, or for an encrypted
   * network the tunnel's address and a port of its own, which the tunnel's guard closes to
   * everything that did not come through the tunnel (src/agent/overlay/tunnel-guard.ts).
   */
  #vtep(v: NodeNetworkView): Vtep {
    const underlay = this.#underlay!; // apply refuses networks without one
    return v.encrypted ? { local: this.#tunnel ?? underlay, port: ENCRYPTED_VXLAN_PORT } : { local: underlay, port: VXLAN_PORT };
  }

  /** Devices of networks no longer in the view; a bridge that still has ports (containers) stays until the engine takes it down with its last one. */
  async #removeStale(views: NodeNetworkView[], links: Map<string, KernelLink>): Promise<number> {
    const keep = new Set(views.flatMap((v) => [bridgeName(v.vni), vxlanName(v.vni)]));
    const stale = [...links.values()].filter((l) => l.ifalias?.startsWith(ALIAS_PREFIX) && !keep.has(l.ifname));
    const vxlans = stale.filter((l) => l.linkinfo?.info_kind === 'vxlan').map((l) => `link del dev ${l.ifname}`);
    const gone = new Set(stale.filter((l) => l.linkinfo?.info_kind === 'vxlan').map((l) => l.ifname));
    const bridges = stale
      .filter((l) => l.linkinfo?.info_kind === 'bridge')
      .filter((b) => ![...links.values()].some((l) => l.master === b.ifname && !gone.has(l.ifname)))
      .map((b) => `link del dev ${b.ifname}`);
    if (vxlans.length || bridges.length) await this.#batch('ip', [...vxlans, ...bridges]);
    return vxlans.length + bridges.length;
  }

  async #links(): Promise<Map<string, KernelLink>> {
    const links = await json<KernelLink>(this.#kernel, 'ip', ['-j', '-d', 'addr', 'show']);
    return new Map(links.map((l) => [l.ifname, l]));
  }

  async #table(): Promise<{ nftables?: [] } | undefined> {
    try {
      return JSON.parse(await this.#kernel.run('nft', ['-j', 'list', 'table', 'ip', TABLE])) as { nftables?: [] };
    } catch (err) {
      if (/No such file or directory/.test((err as Error).message)) return undefined;
      throw err;
    }
  }

  /**
   * Forwarding between the underlay and the bridges (routing mesh, VIPs to other hosts); the
   * engine sets it only once a container starts. On the ingress bridge also route_localnet, so
   * `localhost:PORT` on a node reaches the mesh as on a Swarm node: a connection from 127.0.0.1
   * DNATed to a task leaves through it. The table's input chain drops what arrives for 127/8 on
   * any other interface unless it belongs to such a connection (kube-proxy's CVE-2020-8558 fix).
   */
  async #enableForwarding(views: NodeNetworkView[]): Promise<void> {
    if (!views.length) return;
    const settings = ['net.ipv4.ip_forward', ...views.filter((v) => v.ingress).map((v) => `net.ipv4.conf.${bridgeName(v.vni)}.route_localnet`)];
    const values = (await this.#kernel.run('sysctl', ['-n', ...settings])).trim().split('\n');
    const off = settings.filter((_, i) => values[i]?.trim() !== '1');
    if (off.length) await this.#kernel.run('sysctl', ['-qw', ...off.map((k) => `${k}=1`)]);
  }

  async #batch(cmd: 'ip' | 'bridge', lines: string[]): Promise<void> {
    this.#log.debug({ cmd, lines }, 'overlay data path batch');
    await this.#kernel.run(cmd, ['-batch', '-'], lines.join('\n') + '\n');
  }
}
