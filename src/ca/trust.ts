// What the CA trusts and signs with at a given moment. Outside a root rotation: one root.
// During one (rotation.ts): nodes are given both roots, new certificates are signed by the new
// root, and the manager's own server certificate is served with the new root cross-signed by the
// old, so a node that still trusts only the old root accepts it.

import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { SIGNING_ALGORITHM, signingKey } from '../common/pki.js';
import type { RootKeyStore } from './key-store.js';
import { x509 } from '../common/x509.js';
import type { Cluster } from '../types/index.js';
import { randomSerial, type RootCA } from './root.js';

export interface Trust {
  /** The cluster's current root: the one join tokens name. */
  current: string;
  /** The roots nodes are to trust now (PEM bundle, newest first). */
  bundle: string;
  /** Signs new certificates. */
  signer: RootCA;
  /** Served after certificates the signer issues for the manager while a node may trust only the old root. */
  chain?: string;
}

export const NEXT_CERT = 'swarm-root-ca.next.crt';
export const NEXT_KEY = 'swarm-root-ca.next.key';
const CERT = 'swarm-root-ca.crt';
const KEY = 'swarm-root-ca.key';

/** steadyTrust is the trust of a cluster with one root. */
export function steadyTrust(root: RootCA): Trust {
  return { current: root.certPem, bundle: root.certPem, signer: root };
}

/** rotatingTrust: nodes trust both roots, the new one signs, the cross-signed new root bridges. */
export function rotatingTrust(old: RootCA, next: RootCA, crossSigned: string): Trust {
  return { current: old.certPem, bundle: next.certPem + old.certPem, signer: next, chain: crossSigned };
}

/**
 * promoteNext makes the next root the current one, once the cluster names it: its key replaces
 * the current key, then its certificate the current certificate. A stop in between is finished
 * by the next start (finishPromotion: the cluster's root says which files are current).
 */
export function promoteNext(dir: string, keys: RootKeyStore): void {
  const next = keys.read(NEXT_KEY);
  if (next !== undefined) {
    keys.write(KEY, next);
    keys.remove(NEXT_KEY);
  }
  renameSync(join(dir, NEXT_CERT), join(dir, CERT));
}

/** finishPromotion completes a promotion a stop interrupted: the cluster already names the next root. */
export function finishPromotion(dir: string, clusterRoot: string | undefined, keys: RootKeyStore): void {
  const nextCert = join(dir, NEXT_CERT);
  if (clusterRoot && existsSync(nextCert) && readFileSync(nextCert, 'utf8') === clusterRoot) promoteNext(dir, keys);
}

/** loadTrust rebuilds the trust of a cluster, in or out of a rotation, from its state and the data dir. */
export async function loadTrust(cluster: Cluster, current: RootCA, keys: RootKeyStore): Promise<Trust> {
  const rotation = cluster.BerthCA?.Rotation;
  const nextKey = keys.read(NEXT_KEY);
  if (rotation?.Phase !== 'certs' || !rotation.NewRootCert || !rotation.CrossSigned || !nextKey) return steadyTrust(current);
  const next = { certPem: rotation.NewRootCert, key: await signingKey(nextKey) };
  return rotatingTrust(current, next, rotation.CrossSigned);
}

/** crossSign certifies the new root's key with the old root: the bridge for nodes that trust only the old. */
export async function crossSign(old: RootCA, next: RootCA): Promise<string> {
  const oldCert = new x509.X509Certificate(old.certPem);
  const newCert = new x509.X509Certificate(next.certPem);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: newCert.subjectName,
    issuer: oldCert.subjectName,
    notBefore: newCert.notBefore,
    notAfter: oldCert.notAfter < newCert.notAfter ? oldCert.notAfter : newCert.notAfter,
    signingAlgorithm: SIGNING_ALGORITHM,
    publicKey: newCert.publicKey,
    signingKey: old.key,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(newCert.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(oldCert.publicKey),
    ],
  });
  const pem = cert.toString('pem') + '\n';
  if (!new X509Certificate(pem).verify(new X509Certificate(old.certPem).publicKey)) throw new Error('cross-signed root does not verify against the old root');
  return pem;
}
