// The cluster CA's service: admits joining nodes (join token + CSR → a node and its
// certificate) and renews the certificates of nodes that prove who they are with their current
// one. Like Swarm's CA server, joining is what creates the node object; the dispatcher then
// only admits sessions whose certificate names a node that still exists.

import { newId } from '../common/ids.js';
import type { Logger } from '../common/log.js';
import { certFacts, OU_MANAGER, OU_WORKER, rootDigest, tlsInfo, type CertIdentity } from '../common/pki.js';
import { parseJoinToken } from '../common/tokens.js';
import { sameToken } from './token-compare.js';
import type { Store } from '../store/index.js';
import { InvalidArgumentError, NameConflictError, UnauthorizedError, UnavailableError, type Cluster, type ManagerKeys, type Node, type NodeRole } from '../types/index.js';
import { isObj } from '../common/is-object.js';
import { checkRequest, issue } from './issue.js';
import type { RootCA } from './root.js';
import type { Trust } from './trust.js';

export const DEFAULT_NODE_CERT_EXPIRY_MS = 90 * 24 * 3600_000;

export interface AuthorityOptions {
  /** What the CA signs with and hands out; changes during a root rotation (setTrust). */
  trust: Trust;
  /** Token the in-process agent of `berth up` joins with; its node becomes the manager's node. */
  localToken?: string;
  /** Address shown as the manager node's ManagerStatus.Addr. */
  managerAddr?: () => string;
  /** The keys a joining manager receives (several managers on etcd); without it managers cannot join. */
  managerKeys?: () => ManagerKeys;
  log: Logger;
}

/** What a node receives when it joins or renews. */
export interface Issued {
  nodeId: string;
  certificate: string;
  /** The root certificates the node trusts from now on (PEM bundle). */
  rootCA: string;
  keys?: ManagerKeys;
}

const MAX_TOKEN = 256;
const roleUnit = (role: NodeRole | undefined): string => (role === 'manager' ? OU_MANAGER : OU_WORKER);

export class CertificateAuthority {
  #trust: Trust;

  constructor(
    private readonly store: Store,
    private readonly opts: AuthorityOptions,
  ) {
    this.#trust = opts.trust;
  }

  get trust(): Trust {
    return this.#trust;
  }

  setTrust(trust: Trust): void {
    this.#trust = trust;
  }

  /** The roots a node is to trust now (PEM bundle): what joining and renewing nodes receive. */
  get rootPem(): string {
    return this.#trust.bundle;
  }

  /** What signs new certificates: the current root, or the new one during a rotation. */
  get root(): RootCA {
    return this.#trust.signer;
  }

  /** The node's TLSInfo as Swarm shows it: the roots it was given and who signed its certificate. */
  #tlsInfo(): NonNullable<Node['Description']['TLSInfo']> {
    return { ...tlsInfo(this.#trust.signer.certPem), TrustRoot: this.#trust.bundle };
  }

  /** #saved waits until the store has persisted what this manager wrote (at once on SQLite). */
  async #saved(what: string): Promise<void> {
    await this.store.durable().catch((err: unknown) => {
      throw new UnavailableError(`the ${what} is not saved (${(err as Error).message}): try again`);
    });
  }

  /** join admits a new node: the token decides its role, the CSR its key. */
  async join(body: unknown, remoteAddr: string): Promise<Issued> {
    const b = isObj(body) ? body : {};
    const token = typeof b.token === 'string' && b.token.length <= MAX_TOKEN ? b.token : undefined;
    const hostname = typeof b.hostname === 'string' ? b.hostname.slice(0, 253) : '';
    if (!token) throw new InvalidArgumentError('invalid join request: send "token", the join token (`docker swarm join-token worker` prints it)');
    const local = sameToken(token, this.opts.localToken);
    // A manager process (not an agent) joining with the manager token: it gets the keys and a node of its own, drained.
    const managerOnly = b.manager === true;
    const role = local ? 'manager' : this.#tokenRole(token, managerOnly);
    if (managerOnly && (role !== 'manager' || local)) throw new UnauthorizedError('a manager joins with the manager token: `docker swarm join-token manager` prints it');
    const keys = managerOnly ? this.opts.managerKeys?.() : undefined;
    if (managerOnly && !keys) throw new InvalidArgumentError('this cluster keeps its state in SQLite, for one manager: start the managers with --store etcd://... to run several (see docs/ha.md)');
    const request = await checkRequest(b.csr);
    const nodeId = newId();
    const tls = this.#tlsInfo();
    const certificate = await issue(this.root, request.publicKey, {
      subject: { commonName: nodeId, role: roleUnit(role), cluster: this.#cluster().ID },
      validityMs: this.#validityMs(),
      names: [roleUnit(role), nodeId],
    });
    const facts = certFacts(certificate);
    this.store.update((tx) => {
      // The key decides, not the token: a join replayed with the same request makes no second node.
      const holder = tx.nodes.list().find((n) => n.BerthKeyDigest === request.keyDigest);
      if (holder) throw new NameConflictError(`this key has already joined the cluster as node ${holder.ID}: a join request is not replayed; a new node makes a new key`);
      tx.nodes.create({
        ID: nodeId,
        Version: { Index: 0 },
        CreatedAt: '',
        UpdatedAt: '',
        Spec: { Role: role, Availability: managerOnly ? 'drain' : 'active', Labels: {} },
        Description: { Hostname: hostname, TLSInfo: tls },
        Status: { State: 'unknown', Message: managerOnly ? 'a manager with no agent' : 'joined; waiting for its agent to connect', Addr: remoteAddr },
        Certificate: { Serial: facts.serial, NotBefore: facts.notBefore, NotAfter: facts.notAfter, State: 'issued' },
        BerthKeyDigest: request.keyDigest,
        ...(local ? { ManagerStatus: { Leader: true, Reachability: 'reachable' as const, Addr: this.opts.managerAddr?.() ?? '' } } : {}),
        // Its address is known once it listens: the leader records it from the manager's registration.
        ...(managerOnly ? { ManagerStatus: { Leader: false, Reachability: 'unknown' as const, Addr: '' }, BerthManagerOnly: true } : {}),
      });
    });
    this.opts.log.info({ node: nodeId, hostname, role, remote: remoteAddr, manager: managerOnly }, 'node joined');
    // On etcd the node is saved once etcd has it: a node the answer names must outlive this manager.
    await this.#saved('join');
    return { nodeId, certificate, rootCA: this.rootPem, ...(keys && { keys }) };
  }

  /** renew signs a new key for a node that authenticated with its current certificate. */
  async renew(peer: CertIdentity, body: unknown): Promise<Issued> {
    const node = this.#certifiedNode(peer);
    const request = await checkRequest(isObj(body) ? body.csr : undefined);
    const tls = this.#tlsInfo();
    const certificate = await issue(this.root, request.publicKey, {
      subject: { commonName: node.ID, role: roleUnit(node.Spec.Role), cluster: peer.cluster },
      validityMs: this.#validityMs(),
      names: [roleUnit(node.Spec.Role), node.ID],
    });
    const facts = certFacts(certificate);
    this.store.update((tx) => {
      const current = tx.nodes.get(node.ID);
      if (!current) throw removed(node.ID);
      tx.nodes.update({
        ...current,
        Description: { ...current.Description, TLSInfo: tls },
        Certificate: { Serial: facts.serial, NotBefore: facts.notBefore, NotAfter: facts.notAfter, State: 'issued' },
        BerthKeyDigest: request.keyDigest,
      });
    });
    this.opts.log.info({ node: node.ID, notAfter: facts.notAfter }, 'node certificate renewed');
    await this.#saved('renewal');
    return { nodeId: node.ID, certificate, rootCA: this.rootPem };
  }

  /** #certifiedNode is the node a verified certificate names, if it is still in this cluster. */
  #certifiedNode(peer: CertIdentity): Node {
    const cluster = this.#cluster();
    if (peer.cluster !== cluster.ID) throw new UnauthorizedError(`the certificate is for cluster ${peer.cluster}, not this one (${cluster.ID})`);
    const node = this.store.view((tx) => tx.nodes.get(peer.commonName));
    if (!node) throw removed(peer.commonName);
    return node;
  }

  #tokenRole(token: string, managerProcess: boolean): NodeRole {
    const cluster = this.#cluster();
    // A manager process joins with the manager token: the fix names the token it needs.
    const kind = managerProcess ? 'manager' : 'worker';
    const parsed = parseJoinToken(token);
    if (!parsed) throw new UnauthorizedError(`invalid join token: it is not in the form SWMTKN-1-<digest>-<secret>; \`docker swarm join-token ${kind}\` prints the current one`);
    if (parsed.digest !== rootDigest(this.#trust.current)) {
      throw new UnauthorizedError(
        `invalid join token: its CA digest does not match this cluster's root CA (a token of another cluster, or from before a CA rotation); \`docker swarm join-token ${kind}\` prints the current one`,
      );
    }
    if (sameToken(token, cluster.JoinTokens.Manager)) {
      if (!this.opts.managerKeys) throw new UnauthorizedError('this cluster keeps its state in SQLite, for one manager: join agents with the worker token, or start the managers with --store etcd://... to run several (docs/ha.md)');
      if (!managerProcess) throw new UnauthorizedError('the manager token is for `berth manager --join`; an agent joins with the worker token (`docker swarm join-token worker`)');
      return 'manager';
    }
    if (!sameToken(token, cluster.JoinTokens.Worker)) {
      throw new UnauthorizedError(`invalid join token: it is not the current ${kind} token (was it rotated?); \`docker swarm join-token ${kind}\` on a manager prints the current one`);
    }
    return 'worker';
  }

  #validityMs(): number {
    const ns = Number(this.#cluster().Spec.CAConfig?.NodeCertExpiry ?? 0);
    return ns > 0 ? ns / 1e6 : DEFAULT_NODE_CERT_EXPIRY_MS;
  }

  #cluster(): Cluster {
    const cluster = this.store.view((tx) => tx.cluster());
    if (!cluster) throw new Error('the manager has no cluster object');
    return cluster;
  }
}

const removed = (nodeId: string): UnauthorizedError =>
  new UnauthorizedError(`node ${nodeId} was removed from the cluster: its certificate is no longer accepted; to join again, delete the agent's certificates and run the join command`);

