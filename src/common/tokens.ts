// Join tokens: the secrets a new node presents to join the cluster, in Swarm's shape
// `SWMTKN-1-<digest of the root CA certificate>-<secret>`. The digest lets a joining node pin
// the cluster's CA before it sends anything secret; the secret is what admits it. The manager
// mints tokens on first start, when the user rotates one (`docker swarm join-token --rotate`)
// and when the root CA changes (the digest part follows the root; the secret stays).

import { randomBytes } from 'node:crypto';
import { rootDigest } from './pki.js';

const base36 = (bytes: Buffer, width: number): string => BigInt('0x' + bytes.toString('hex')).toString(36).padStart(width, '0').slice(-width);

/** joinToken makes a fresh token for the root CA certificate (PEM). */
export function joinToken(rootCertPem: string): string {
  return `SWMTKN-1-${rootDigest(rootCertPem)}-${base36(randomBytes(16), 25)}`;
}

/** withRoot gives the same token's secret under another root CA's digest. */
export function withRoot(token: string, rootCertPem: string): string {
  const parsed = parseJoinToken(token);
  return parsed ? `SWMTKN-1-${rootDigest(rootCertPem)}-${parsed.secret}` : joinToken(rootCertPem);
}

export interface ParsedToken {
  digest: string;
  secret: string;
}

/** parseJoinToken reads a token's parts; undefined when it is not in Swarm's shape. */
export function parseJoinToken(token: string): ParsedToken | undefined {
  const m = /^SWMTKN-1-([0-9a-z]{50})-([0-9a-z]{25})$/.exec(token.trim());
  return m ? { digest: m[1]!, secret: m[2]! } : undefined;
}
