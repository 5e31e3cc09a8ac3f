// Log timestamps travel as Docker's RFC3339NanoFixed in UTC ("2006-01-02T15:04:05.000000000Z"):
// nine fraction digits always, so that comparing two timestamps as strings compares the times,
// nanoseconds included (a JavaScript Date keeps only milliseconds).

const ENGINE_TS = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/;
/** The largest unix second a fixed timestamp can show (9999-12-31T23:59:59Z). */
const MAX_UNIX_SECONDS = 253402300799;

/**
 * fixedTimestamp rewrites an engine's RFC 3339 timestamp (any fraction length, any offset) in
 * the fixed UTC form; undefined when it is not one.
 */
export function fixedTimestamp(ts: string): string | undefined {
  const m = ENGINE_TS.exec(ts);
  if (!m) return undefined;
  const [, base, fraction = '', zone] = m;
  const ms = Date.parse(`${base}${zone === 'Z' ? 'Z' : zone}`);
  if (Number.isNaN(ms)) return undefined;
  return `${new Date(ms).toISOString().slice(0, 19)}.${fraction.padEnd(9, '0')}Z`;
}

/** unixToFixed formats unix seconds and nanoseconds as a fixed timestamp. */
export function unixToFixed(seconds: number, nanos = 0): string {
  return `${new Date(seconds * 1000).toISOString().slice(0, 19)}.${String(nanos).padStart(9, '0')}Z`;
}

/**
 * parseUnixTimestamp reads the `since` the docker CLI sends (it converts --since to unix seconds
 * with an optional fraction, e.g. "1700000000.123456789") as a fixed timestamp; undefined when
 * the text is not such a number.
 */
export function parseUnixTimestamp(text: string): string | undefined {
  const m = /^(\d{1,12})(?:\.(\d{1,9}))?$/.exec(text);
  if (!m) return undefined;
  const seconds = Number(m[1]);
  if (seconds > MAX_UNIX_SECONDS) return undefined;
  return unixToFixed(seconds, Number((m[2] ?? '').padEnd(9, '0')));
}

/** nowFixed is the current time as a fixed timestamp (millisecond precision). */
export function nowFixed(): string {
  const ms = Date.now();
  return unixToFixed(Math.floor(ms / 1000), (ms % 1000) * 1e6);
}
