// Root CA rotation (`docker swarm ca --rotate`: Spec.CAConfig.ForceRotate changes), Swarm's
// way, while the cluster keeps running and no task restarts:
//   1. certs: a new root is made and cross-signed by the old; nodes are given both roots and
//      asked to renew (Certificate.State "rotate"), and the CA signs with the new root.
//   2. once every node holds a certificate from the new root, it becomes the current root (join
//      tokens name it, the manager serves and trusts only it, so old-root certificates stop
//      working) — trust: nodes renew once more to drop the old root from what they trust.
//   3. once every node has, the rotation is over.
// A node that never renews (down) holds the rotation, as in Swarm: remove it to go on.

import { join } from 'node:path';
import { keyPem } from '../common/pki.js';
import type { Logger } from '../common/log.js';
import { withRoot } from '../common/tokens.js';
import { driveLoop, type Commit, type ReadTx, type Store, type Tx } from '../store/index.js';
import type { CertificateAuthority } from './authority.js';
import type { RootKeyStore } from './key-store.js';
import { writeFileAtomic } from '../common/files.js';
import { createRootCA } from './root.js';
import { crossSign, NEXT_CERT, NEXT_KEY, promoteNext, rotatingTrust, steadyTrust, type Trust } from './trust.js';

export interface RotationOptions {
  /** The manager's certificates directory. */
  dir: string;
  /** Where the root keys live (autolock seals them). */
  keys: RootKeyStore;
  /** Called after the CA's trust changed and before nodes are asked to act on it: re-key the listeners. */
  onTrust: (trust: Trust) => Promise<void>;
  log: Logger;
}

export class RootRotation {
  #dirty = true;
  #busy = false;

  constructor(
    private readonly store: Store,
    private readonly ca: CertificateAuthority,
    private readonly opts: RotationOptions,
  ) {}

  run(signal: AbortSignal): Promise<void> {
    return driveLoop(this.store, signal, this, { onError: (err) => this.opts.log.error({ err }, 'root rotation pass failed') });
  }

  init(_tx: ReadTx): void {
    this.#dirty = true;
  }

  observe(commit: Commit): void {
    if (commit.changes.some((c) => c.kind === 'cluster' || c.kind === 'node')) this.#dirty = true;
  }

  reconcile(): undefined {
    if (!this.#dirty || this.#busy) return undefined;
    this.#dirty = false;
    const { cluster, pending } = this.store.view((tx) => ({ cluster: tx.cluster(), pending: tx.nodes.list().some((n) => n.Certificate?.State === 'rotate') }));
    const ca = cluster?.BerthCA;
    if (!cluster || !ca) return undefined;
    const wanted = Number(cluster.Spec.CAConfig?.ForceRotate ?? 0);
    let step: (() => Promise<void>) | undefined;
    if (!ca.Rotation && wanted !== (ca.ForceRotate ?? 0)) step = () => this.#start(wanted);
    else if (ca.Rotation?.Phase === 'certs' && !pending) step = () => this.#switch();
    else if (ca.Rotation?.Phase === 'trust' && !pending) step = async () => this.#finish();
    if (!step) return undefined;
    this.#busy = true;
    // The step ends with a commit, which wakes the loop for the next one.
    step()
      .catch((err: unknown) => this.opts.log.error({ err }, 'root rotation step failed; retrying on the next change'))
      .finally(() => {
        this.#busy = false;
        this.#dirty = true;
      });
    return undefined;
  }

  async #start(forceRotate: number): Promise<void> {
    const old = this.ca.trust.signer;
    const next = await createRootCA();
    const crossSigned = await crossSign(old, next);
    this.opts.keys.write(NEXT_KEY, await keyPem(next.key));
    writeFileAtomic(join(this.opts.dir, NEXT_CERT), next.certPem, 0o644);
    this.ca.setTrust(rotatingTrust(old, next, crossSigned));
    await this.opts.onTrust(this.ca.trust);
    this.store.update((tx) => {
      const cluster = tx.cluster()!;
      tx.clusters.update({ ...cluster, BerthCA: { ...cluster.BerthCA!, ForceRotate: forceRotate, Rotation: { Phase: 'certs', NewRootCert: next.certPem, CrossSigned: crossSigned } } });
      askToRenew(tx);
    });
    this.opts.log.info('root CA rotation started: nodes are moving to the new root');
  }

  async #switch(): Promise<void> {
    const next = this.ca.trust.signer;
    promoteNext(this.opts.dir, this.opts.keys);
    this.ca.setTrust(steadyTrust(next));
    await this.opts.onTrust(this.ca.trust);
    this.store.update((tx) => {
      const cluster = tx.cluster()!;
      tx.clusters.update({
        ...cluster,
        JoinTokens: { Worker: withRoot(cluster.JoinTokens.Worker, next.certPem), Manager: withRoot(cluster.JoinTokens.Manager, next.certPem) },
        BerthCA: { RootCert: next.certPem, ForceRotate: cluster.BerthCA!.ForceRotate, Rotation: { Phase: 'trust' } },
      });
      askToRenew(tx);
    });
    this.opts.log.info('every node holds a certificate from the new root: it is the cluster root now, old-root certificates are refused');
  }

  #finish(): void {
    this.store.update((tx) => {
      const cluster = tx.cluster()!;
      tx.clusters.update({ ...cluster, BerthCA: { RootCert: cluster.BerthCA!.RootCert, ForceRotate: cluster.BerthCA!.ForceRotate } });
    });
    this.opts.log.info('root CA rotation complete');
  }
}

/** askToRenew marks every node for renewal: the dispatcher tells connected agents at once. */
function askToRenew(tx: Tx): void {
  for (const node of tx.nodes.list()) {
    if (node.Certificate) tx.nodes.update({ ...node, Certificate: { ...node.Certificate, State: 'rotate' } });
  }
}
