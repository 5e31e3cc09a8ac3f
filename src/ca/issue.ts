// Signing certificates for nodes, the manager's listeners and API clients. The subject is the
// CA's to set (CN the node or user, OU the role, O the cluster), never the requester's: a CSR
// only proves possession of its key.

import { createHash, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { x509 } from '../common/x509.js';
import { certificateRequest, keyPem, newKeyPair, SIGNING_ALGORITHM } from '../common/pki.js';
import { InvalidArgumentError } from '../types/index.js';
import { BACKDATE_MS, randomSerial, type RootCA } from './root.js';

/** Far above any P-256 CSR (about 400 bytes of PEM), far below anything costly to parse. */
export const MAX_CSR_BYTES = 8192;

export interface Subject {
  commonName: string;
  role: string;
  cluster: string;
}

export interface IssueOptions {
  subject: Subject;
  validityMs: number;
  /** DNS names and IP addresses the certificate is valid for as a server. */
  names?: string[];
  now?: number;
}

export interface CheckedRequest {
  publicKey: x509.PublicKey;
  /** SHA-256 of the public key (SubjectPublicKeyInfo DER), hex. */
  keyDigest: string;
}

/** checkRequest parses and verifies a PEM CSR: an ECDSA P-256 key whose holder signed it. */
export async function checkRequest(csrPem: unknown): Promise<CheckedRequest> {
  if (typeof csrPem !== 'string' || csrPem.length === 0) throw new InvalidArgumentError('invalid CSR: send "csr" as a PEM certificate request');
  if (csrPem.length > MAX_CSR_BYTES) throw new InvalidArgumentError(`invalid CSR: it is larger than ${MAX_CSR_BYTES} bytes`);
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch (err) {
    throw new InvalidArgumentError(`invalid CSR: it does not parse as a PEM certificate request (${(err as Error).message})`);
  }
  const alg = csr.publicKey.algorithm as { name: string; namedCurve?: string };
  if (alg.name !== 'ECDSA' || alg.namedCurve !== 'P-256') {
    throw new InvalidArgumentError(`invalid CSR: the key must be ECDSA P-256 (got ${alg.name}${alg.namedCurve ? ` ${alg.namedCurve}` : ''})`);
  }
  let valid = false;
  try {
    valid = await csr.verify();
  } catch {
    valid = false;
  }
  if (!valid) throw new InvalidArgumentError('invalid CSR: its signature does not verify with its own key');
  return { publicKey: csr.publicKey, keyDigest: createHash('sha256').update(Buffer.from(csr.publicKey.rawData)).digest('hex') };
}

/** issue signs a certificate for the checked request's key; it serves as TLS client and server. */
export async function issue(root: RootCA, publicKey: x509.PublicKey, opts: IssueOptions): Promise<string> {
  const now = opts.now ?? Date.now();
  const rootCert = new x509.X509Certificate(root.certPem);
  const names = (opts.names ?? []).filter((n) => n !== '');
  const { commonName, role, cluster } = opts.subject;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: [{ CN: [commonName] }, { OU: [role] }, { O: [cluster] }],
    issuer: rootCert.subjectName,
    // Backdated for clock skew, but never by more than a quarter of the validity: renewal at
    // 50-80% of the life must fall after the issue time, or short-lived certificates would renew in a loop.
    notBefore: new Date(now - Math.min(BACKDATE_MS, opts.validityMs / 4)),
    notAfter: new Date(now + opts.validityMs),
    signingAlgorithm: SIGNING_ALGORITHM,
    publicKey,
    signingKey: root.key,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      await x509.AuthorityKeyIdentifierExtension.create(rootCert.publicKey),
      ...(names.length > 0
        ? [new x509.SubjectAlternativeNameExtension(names.map((n) => (isIP(n) ? { type: 'ip' as const, value: n } : { type: 'dns' as const, value: n })))]
        : []),
    ],
  });
  const pemText = cert.toString('pem') + '\n';
  // Belt and braces: what we hand out must verify against the root it claims.
  if (!new X509Certificate(pemText).verify(new X509Certificate(root.certPem).publicKey)) throw new Error('issued certificate does not verify against the root CA');
  return pemText;
}

/** issueWithKey makes a fresh key and its certificate, for what the manager serves itself. */
export async function issueWithKey(root: RootCA, opts: IssueOptions): Promise<{ cert: string; key: string }> {
  const keys = await newKeyPair();
  const { publicKey } = await checkRequest(await certificateRequest(keys));
  return { cert: await issue(root, publicKey, opts), key: await keyPem(keys.privateKey) };
}
