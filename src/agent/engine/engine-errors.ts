// Engine errors split into temporary (retry with backoff) and fatal (the task is rejected or
// failed), as swarmkit's exec.IsTemporary does. Podman and Docker answer 500 for several
// permanent problems (an invalid reference, a name or host port in use), so the message is
// checked as well.

import { ProgressError } from './progress.js';

/** TaskError is a fatal task failure the agent raises itself; its message becomes Status.Err. */
export class TaskError extends Error {}

const PERMANENT = [
  /invalid reference/i,
  /no such image/i,
  /image not known/i,
  /repository .* not found/i,
  /executable file not found/i,
  /no such file or directory/i,
  /permission denied/i,
  /invalid argument/i,
  // A container name, or a host port ("bind: address already in use": Podman, and Docker's
  // userland proxy).
  /already in use/i,
  // Docker's own words for a host port held by another container. Like Podman's, it fails the
  // task at once: retrying on this node cannot free the port; the orchestrator restarts the
  // task per its restart policy, and the scheduler places the replacement.
  /port is already allocated/i,
  /is not a valid/i,
];

/** statusOf returns the HTTP status the engine answered with, if it answered at all. */
export function statusOf(err: unknown): number | undefined {
  const code = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/**
 * isTemporary: the engine was unreachable (a system error such as ECONNREFUSED or ECONNRESET),
 * or answered with an error worth retrying. Anything else, including Berth's own bugs, is fatal.
 */
export function isTemporary(err: unknown): boolean {
  if (err instanceof TaskError || err instanceof ProgressError) return false;
  const status = statusOf(err);
  if (status === undefined) {
    const code = (err as { code?: unknown } | null)?.code;
    return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code);
  }
  if (status === 408 || status === 429) return true;
  if (status < 500) return false;
  return !PERMANENT.some((re) => re.test(engineMessage(err)));
}

/** engineMessage is the engine's own error text, without dockerode's "(HTTP code N) reason - " prefix. */
export function engineMessage(err: unknown): string {
  const json = (err as { json?: unknown } | null)?.json;
  if (json && typeof json === 'object') {
    const m = (json as { message?: unknown }).message;
    if (typeof m === 'string' && m.trim()) return m.trim();
  }
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
}

/** isGone: the container no longer exists (Podman may say so with a 500 during a concurrent removal). */
export function isGone(err: unknown): boolean {
  return statusOf(err) === 404 || /no such container|does not exist in database/i.test(engineMessage(err));
}
