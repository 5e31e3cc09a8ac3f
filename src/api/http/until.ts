// The `until` of a prune's filters, read as the Engine reads it (common/docker-time.ts).

import { parseDockerTime } from '../../common/docker-time.js';
import { InvalidArgumentError } from '../../types/index.js';

/** parseUntil gives the time `value` names, in ms since the epoch; a 400 naming the filter when it names none. */
export function parseUntil(value: string, nowMs: number): number {
  const ms = parseDockerTime(value, nowMs);
  if (ms !== undefined) return ms;
  throw new InvalidArgumentError(
    `invalid filter 'until=${value}': failed to parse value as time or duration: give a duration back from now (24h, 10m), an RFC 3339 time (2024-01-02T15:04:05Z) or unix seconds`,
  );
}
