// Failed logins are limited per account and source address: after MAX_FAILURES wrong passwords
// within WINDOW_MS, that account is refused from that address for BLOCK_MS — before any password
// is hashed, so a guesser can neither go on guessing nor make the registry burn CPU on scrypt.
// The right user from anywhere else is not locked out, and a success clears the count.

import { TooManyRequestsError } from '../types/index.js';

export const MAX_FAILURES = 10;
const WINDOW_MS = 5 * 60_000;
const BLOCK_MS = 5 * 60_000;
/** Pairs tracked at most (a guesser varying names or addresses must not grow memory without bound). */
const MAX_TRACKED = 10_000;

interface Failures {
  count: number;
  since: number;
  blockedUntil: number;
}

export class LoginLimiter {
  readonly #failures = new Map<string, Failures>();

  constructor(private readonly now: () => number = Date.now) {}

  /** check throws TooManyRequestsError while `account` is blocked from `source`. */
  check(account: string, source: string): void {
    const f = this.#failures.get(key(account, source));
    const now = this.now();
    if (f && f.blockedUntil > now) {
      const wait = Math.ceil((f.blockedUntil - now) / 1000);
      throw new TooManyRequestsError(`too many failed logins for ${account} from ${source}: try again in ${wait} s`, wait);
    }
  }

  failed(account: string, source: string): void {
    const k = key(account, source);
    const now = this.now();
    let f = this.#failures.get(k);
    if (!f || now - f.since > WINDOW_MS) f = { count: 0, since: now, blockedUntil: 0 };
    f.count++;
    if (f.count >= MAX_FAILURES) f.blockedUntil = now + BLOCK_MS;
    // Re-inserted last: the map's order is then the order to forget in.
    this.#failures.delete(k);
    this.#failures.set(k, f);
    if (this.#failures.size > MAX_TRACKED) this.#failures.delete(this.#failures.keys().next().value!);
  }

  succeeded(account: string, source: string): void {
    this.#failures.delete(key(account, source));
  }
}

const key = (account: string, source: string): string => `${account}\u0000${source}`;
