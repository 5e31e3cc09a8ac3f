// GET /events' query as dockerd reads it (moby api/server/router/system getEvents, daemon/events
// filter.go): `since` and `until` (the docker CLI sends unix seconds with nanoseconds; durations
// and RFC 3339 times are read too), and `filters`, each key a condition all events must meet.

import { parseDockerTime } from '../../common/docker-time.js';
import { InvalidArgumentError } from '../../types/index.js';
import { allLabels, anyExact, anyPrefix, checkValues, parseFilters } from '../http/filters.js';
import { EVENT_ACTIONS, EVENT_TYPES, type ClusterEvent, type EventType } from './event.js';

/** Each type has its object filter: it keeps the events of matching objects (by ID or name prefix, as dockerd's), and a task's of its service and node. */
const OBJECT_FILTERS: readonly EventType[] = EVENT_TYPES;
const ACCEPTED = ['type', 'event', 'scope', 'label', ...OBJECT_FILTERS];

export interface EventQuery {
  since: bigint | undefined;
  until: bigint | undefined;
  accepts(e: ClusterEvent): boolean;
}

export interface EventQueryString {
  since?: string | string[];
  until?: string | string[];
  filters?: string | string[];
}

export function parseEventQuery(query: EventQueryString, nowMs: number): EventQuery {
  const since = eventTime('since', query.since, nowMs);
  const until = eventTime('until', query.until, nowMs);
  if (since !== undefined && until !== undefined && until < since) {
    throw new InvalidArgumentError(`\`since\` time (${String(query.since)}) cannot be after \`until\` time (${String(query.until)})`);
  }
  const f = parseFilters(query.filters, ACCEPTED);
  checkValues(f, 'type', EVENT_TYPES);
  checkValues(f, 'event', EVENT_ACTIONS);
  checkValues(f, 'scope', ['local', 'swarm']);
  return {
    since,
    until,
    accepts: (e) =>
      (since === undefined || e.timeNano >= since) &&
      (until === undefined || e.timeNano <= until) &&
      anyExact(f.get('type'), e.type) &&
      anyExact(f.get('event'), e.action) &&
      anyExact(f.get('scope'), 'swarm') &&
      OBJECT_FILTERS.every((key) => !f.has(key) || anyPrefix(f.get(key), ...(e.refs[key] ?? []))) &&
      allLabels(f.get('label'), { ...e.labels, ...e.attributes }),
  };
}

/** eventTime reads `since`/`until` in nanoseconds since the epoch; undefined when not given. */
function eventTime(name: string, value: string | string[] | undefined, nowMs: number): bigint | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new InvalidArgumentError(`invalid value for '${name}': give it once`);
  // What the CLI sends, read exactly: the nanoseconds matter to a client resuming after its last event's timeNano.
  const unix = /^(\d{1,12})(?:\.(\d+))?$/.exec(value);
  if (unix) return BigInt(unix[1]!) * 1_000_000_000n + BigInt((unix[2] ?? '').slice(0, 9).padEnd(9, '0'));
  const ms = parseDockerTime(value, nowMs);
  if (ms === undefined) {
    throw new InvalidArgumentError(`invalid value for '${name}': ${JSON.stringify(value)} is not a time: give unix seconds (1700000000 or 1700000000.000000001), an RFC 3339 time (2024-01-02T15:04:05Z) or a duration back from now (10m)`);
  }
  return BigInt(Math.round(ms)) * 1_000_000n;
}
