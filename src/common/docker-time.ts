// A time as docker's --since, --until and prune filters take it (moby api/types/time
// GetTimestamp): a Go duration back from now ("24h", "1h30m"), an RFC 3339 date or time (the
// manager's local time when it names no zone), or unix seconds with an optional fraction.

const DURATION_UNITS_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_RE = /^[-+]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/;
const DURATION_PART_RE = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g;
// Date, then optionally hours[:minutes[:seconds[.fraction]]], then optionally a zone.
const TIME_RE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?)?([zZ]|[+-]\d{2}:\d{2})?$/;
const UNIX_RE = /^(\d{1,12})(?:\.(\d{1,9}))?$/;

/** parseDockerTime gives the time `value` names, in ms since the epoch, or undefined when it names none. */
export function parseDockerTime(value: string, nowMs: number): number | undefined {
  // "0" is the epoch, not a zero duration (as the Engine reads it).
  if (value !== '0' && DURATION_RE.test(value)) {
    let ms = 0;
    for (const [, n, unit] of value.matchAll(DURATION_PART_RE)) ms += Number(n) * DURATION_UNITS_MS[unit!]!;
    return value.startsWith('-') ? nowMs + ms : nowMs - ms;
  }
  const t = TIME_RE.exec(value);
  if (t) {
    const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', zone] = t;
    const inRange = Number(mo) >= 1 && Number(mo) <= 12 && Number(d) >= 1 && Number(d) <= 31 && Number(h) < 24 && Number(mi) < 60 && Number(s) < 60;
    const parts = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number(fraction.padEnd(3, '0').slice(0, 3))] as const;
    const ms = zone ? Date.UTC(...parts) - zoneOffsetMs(zone) : new Date(...parts).getTime();
    if (inRange && !Number.isNaN(ms)) return ms;
  }
  const u = UNIX_RE.exec(value);
  if (u) return Number(u[1]) * 1000 + Number((u[2] ?? '').padEnd(3, '0').slice(0, 3));
  return undefined;
}

function zoneOffsetMs(zone: string): number {
  if (zone === 'Z' || zone === 'z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  return sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
}
