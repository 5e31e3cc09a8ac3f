// The cluster's root CA: created by the first manager (ECDSA P-256, CN swarm-ca, 20 years, as
// Swarm's), its key kept in the manager's data dir, mode 0600, never in the store.

import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../common/files.js';
import { join } from 'node:path';
import { x509 } from '../common/x509.js';
import { keyPem, newKeyPair, signingKey, SIGNING_ALGORITHM, type Key } from '../common/pki.js';

const ROOT_VALIDITY_MS = 20 * 365 * 24 * 3600_000;
/** Certificates start an hour in the past, as Swarm's, so a node whose clock is a little behind accepts them. */
export const BACKDATE_MS = 3600_000;

export interface RootCA {
  certPem: string;
  key: Key;
}

export async function createRootCA(now = Date.now()): Promise<RootCA> {
  const keys = await newKeyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=swarm-ca',
    keys,
    serialNumber: randomSerial(),
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + ROOT_VALIDITY_MS),
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', key: keys.privateKey };
}

/** A positive 16-byte serial number in hex. */
export function randomSerial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = bytes[0]! & 0x7f;
  return Buffer.from(bytes).toString('hex');
}

const CERT_FILE = 'swarm-root-ca.crt';
/** The root CA key's file in the certificates dir (autolock seals it). */
export const KEY_FILE = 'swarm-root-ca.key';

/** loadOrCreateRoot reads the root CA from `dir`, creating it (and `dir`, mode 0700) on first start. */
export async function loadOrCreateRoot(dir: string): Promise<{ root: RootCA; created: boolean }> {
  const certFile = join(dir, CERT_FILE);
  const keyFile = join(dir, KEY_FILE);
  if (existsSync(keyFile)) {
    return { root: { certPem: readFileSync(certFile, 'utf8'), key: await signingKey(readFileSync(keyFile, 'utf8')) }, created: false };
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const root = await createRootCA();
  writeFileAtomic(certFile, root.certPem, 0o644);
  writeFileAtomic(keyFile, await keyPem(root.key), 0o600);
  return { root, created: true };
}

/** saveRoot writes a root CA received from another manager (a manager joining) into `dir`. */
export function saveRoot(dir: string, certPem: string, keyPemText: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileAtomic(join(dir, CERT_FILE), certPem, 0o644);
  writeFileAtomic(join(dir, KEY_FILE), keyPemText, 0o600);
}

/** rootWithKey reads the root certificate from `dir` with a key kept elsewhere (unsealed by autolock). */
export async function rootWithKey(dir: string, keyPemText: string): Promise<RootCA> {
  return { certPem: readFileSync(join(dir, CERT_FILE), 'utf8'), key: await signingKey(keyPemText) };
}
