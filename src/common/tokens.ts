// Join tokens: the secrets a new node presents to join the cluster. The manager mints them on
// first start and whenever the user rotates one (`docker swarm join-token --rotate`).

import { randomBytes } from 'node:crypto';

/** joinToken makes a token in Swarm's shape: SWMTKN-1-<50 base36 chars>-<25 base36 chars>. */
export function joinToken(): string {
  const part = (bytes: number, width: number): string => BigInt('0x' + randomBytes(bytes).toString('hex')).toString(36).padStart(width, '0').slice(-width);
  return `SWMTKN-1-${part(32, 50)}-${part(16, 25)}`;
}
