import { randomBytes } from 'node:crypto';

/** newId returns a random 128-bit id in base 36, zero-padded to 25 characters, as Swarm's. */
export function newId(): string {
  const n = BigInt('0x' + randomBytes(16).toString('hex'));
  return n.toString(36).padStart(25, '0');
}
