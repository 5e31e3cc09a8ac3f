// When a policy runs on its own: every IntervalSeconds after its last run, or at the times a cron
// expression names, as Harbor schedules replication, retention and GC. Cron times are UTC; five
// fields (minute hour day month weekday), or six with seconds first as Harbor writes them.
// Parsed by croner: maintained, no dependencies, and it takes both forms.

import { Cron } from 'croner';
import { InvalidArgumentError, type Schedule } from '../../types/index.js';

const MAX_INTERVAL_SECONDS = 366 * 24 * 3600;
const EXAMPLES = 'IntervalSeconds (e.g. 86400, once a day) or Cron (e.g. "0 0 3 * * *", 03:00 UTC every day)';

/** checkSchedule reads IntervalSeconds or Cron from `value`; `at` names the object in errors. */
export function checkSchedule(value: Record<string, unknown>, at: string): Schedule {
  const { IntervalSeconds: seconds, Cron: pattern } = value;
  if ((seconds === undefined) === (pattern === undefined)) throw new InvalidArgumentError(`${at} must have one of ${EXAMPLES}, not ${seconds === undefined ? 'neither' : 'both'}`);
  if (seconds !== undefined) {
    if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 1 || seconds > MAX_INTERVAL_SECONDS) {
      throw new InvalidArgumentError(`${at}.IntervalSeconds must be a whole number of seconds from 1 to ${MAX_INTERVAL_SECONDS}, such as 86400 (daily)`);
    }
    return { IntervalSeconds: seconds };
  }
  if (typeof pattern !== 'string') throw new InvalidArgumentError(`${at}.Cron must be a string such as "0 0 3 * * *" (03:00 UTC every day)`);
  try {
    return { Cron: checkCron(pattern) };
  } catch (err) {
    throw new InvalidArgumentError(`${at}.Cron ${(err as Error).message}`);
  }
}

/** checkCron returns `pattern` if it is a cron expression that matches a time to come; its errors start with the pattern, quoted. */
export function checkCron(pattern: string): string {
  let next: Date | null;
  try {
    next = cron(pattern).nextRun();
  } catch (err) {
    throw new InvalidArgumentError(`${JSON.stringify(pattern)} is not a cron expression (${(err as Error).message}): write five fields (minute hour day month weekday) or six with seconds first, such as "0 0 3 * * *"`);
  }
  if (!next) throw new InvalidArgumentError(`${JSON.stringify(pattern)} never matches a time from now on`);
  return pattern;
}

/** nextRun is when `schedule` is due after `after` (ms since the epoch); Infinity if it never is again. */
export function nextRun(schedule: Schedule, after: number): number {
  if ('IntervalSeconds' in schedule) return after + schedule.IntervalSeconds * 1000;
  return cron(schedule.Cron).nextRun(new Date(after))?.getTime() ?? Infinity;
}

const cron = (pattern: string): Cron => new Cron(pattern, { timezone: 'UTC', paused: true });
