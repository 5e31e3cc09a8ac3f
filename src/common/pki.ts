// Keys, certificate requests and certificate facts shared by the cluster CA (which signs) and
// the agent (which asks): ECDSA P-256 throughout, as Swarm's CA. Generation goes through
// @peculiar/x509 on Node's WebCrypto; parsing and verification through node:crypto.

import { createHash, webcrypto, X509Certificate } from 'node:crypto';
import { x509 } from './x509.js';

export type Key = webcrypto.CryptoKey;
export type KeyPair = webcrypto.CryptoKeyPair;

export const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
export const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** Organizational units of the certificates the CA issues: the role a certificate proves. */
export const OU_WORKER = 'swarm-worker';
export const OU_MANAGER = 'swarm-manager';
export const OU_CLIENT = 'berth-client';
/** The name every manager's cluster certificate carries, which agents check instead of an address. */
export const MANAGER_SERVER_NAME = 'swarm-manager';

export async function newKeyPair(): Promise<KeyPair> {
  return (await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify'])) as KeyPair;
}

/** keyPem gives a private key as PKCS#8 PEM, the form node:tls and the docker CLI read. */
export async function keyPem(key: Key): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return pem('PRIVATE KEY', der);
}

/** signingKey reads a PKCS#8 PEM private key for signing. */
export async function signingKey(pemText: string): Promise<Key> {
  const der = pemBody(pemText, 'PRIVATE KEY');
  return (await webcrypto.subtle.importKey('pkcs8', der, KEY_ALGORITHM, true, ['sign'])) as Key;
}

/** certificateRequest makes a PKCS#10 request (PEM) for the key pair; the CA sets the subject itself. */
export async function certificateRequest(keys: KeyPair, commonName = 'berth-node'): Promise<string> {
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: `CN=${commonName}`, keys, signingAlgorithm: SIGNING_ALGORITHM });
  return csr.toString('pem');
}

export function pem(label: string, der: Buffer): string {
  const b64 = der.toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${b64}-----END ${label}-----\n`;
}

function pemBody(text: string, label: string): Buffer {
  const m = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]+)-----END ${label}-----`).exec(text);
  if (!m) throw new Error(`not a PEM ${label.toLowerCase()}`);
  return Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
}

/** splitPem gives each certificate of a PEM bundle. */
export function splitPem(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----\n?/g)?.map((c) => c.trimEnd() + '\n') ?? [];
}

/**
 * rootDigest is the join-token form of a root CA certificate's SHA-256 (Swarm's
 * `SWMTKN-1-<digest>-<secret>`): base36, zero-padded to 50 characters.
 */
export function rootDigest(certPem: string): string {
  const der = new X509Certificate(certPem).raw;
  const hex = createHash('sha256').update(der).digest('hex');
  return BigInt('0x' + hex).toString(36).padStart(50, '0');
}

/** A certificate's identity as the CA wrote it: CN node or user, OU role, O cluster. */
export interface CertIdentity {
  commonName: string;
  role: string;
  cluster: string;
}

/** identityOf reads CN, OU and O from a subject in node:crypto's "K=V\n..." form. */
export function identityOf(subject: string): CertIdentity {
  const field = (k: string): string => subject.split('\n').find((l) => l.startsWith(`${k}=`))?.slice(k.length + 1) ?? '';
  return { commonName: field('CN'), role: field('OU'), cluster: field('O') };
}

/** The facts about a certificate that nodes and the API show. */
export interface CertFacts {
  serial: string;
  notBefore: string;
  notAfter: string;
  /** SHA-256 of the certificate, hex. */
  fingerprint: string;
}

export function certFacts(certPem: string): CertFacts {
  const c = new X509Certificate(certPem);
  return {
    serial: c.serialNumber.toLowerCase(),
    notBefore: new Date(c.validFrom).toISOString(),
    notAfter: new Date(c.validTo).toISOString(),
    fingerprint: c.fingerprint256.replace(/:/g, '').toLowerCase(),
  };
}

/**
 * renewalDelayMs picks when to renew a certificate: at a random point between 50% and 80% of
 * its life, as Swarm does, so a cluster's nodes do not all renew at once.
 */
export function renewalDelayMs(certPem: string, nowMs = Date.now(), random = Math.random): number {
  const c = new X509Certificate(certPem);
  const from = Date.parse(c.validFrom);
  const life = Date.parse(c.validTo) - from;
  return Math.max(0, from + life * (0.5 + 0.3 * random()) - nowMs);
}

/** The Engine API's TLSInfo of a root CA: its PEM, and its raw subject and public key (base64, as Go encodes bytes). */
export function tlsInfo(rootPem: string): { TrustRoot: string; CertIssuerSubject: string; CertIssuerPublicKey: string } {
  const cert = new x509.X509Certificate(rootPem);
  return {
    TrustRoot: rootPem,
    CertIssuerSubject: Buffer.from(cert.subjectName.toArrayBuffer()).toString('base64'),
    CertIssuerPublicKey: Buffer.from(cert.publicKey.rawData).toString('base64'),
  };
}
