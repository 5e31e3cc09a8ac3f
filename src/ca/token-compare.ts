// Comparing secrets without leaking, through timing, how much of a guess was right.

import { createHash, timingSafeEqual } from 'node:crypto';

export function sameToken(given: string | undefined, expected: string | undefined): boolean {
  if (!given || !expected) return false;
  return timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(expected).digest());
}
