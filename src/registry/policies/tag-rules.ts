// Retention and immutability rules: checking what an administrator sends (every mistake named by
// its field) and matching repositories and tags against the rules' patterns. Patterns are
// picomatch globs (`**` spans `/`, `*` does not, `{a,b}` alternatives), as Harbor's doublestar;
// a repository pattern matches the repository's path inside its project (`app/web` in
// `team/app/web`; `nginx` for both `nginx` and `library/nginx`), as Harbor's selectors do.

import picomatch from 'picomatch';
import { InvalidArgumentError, type ImmutabilityRule, type RetentionPolicy, type RetentionRule } from '../../types/index.js';
import { checkSchedule } from './schedule.js';
import { isObj } from '../../common/is-object.js';

const KEEPS = ['latestPushed', 'matching', 'pushedWithinDays'] as const;
/** Harbor allows 15 rules per project; more is almost certainly a mistake. */
const MAX_RULES = 15;

/** pathInProject is the part of a repository name that rule patterns match. */
export function pathInProject(repository: string): string {
  return repository.slice(repository.indexOf('/') + 1);
}

const matchers = new Map<string, (s: string) => boolean>();
/** globMatch matches with a compiled, cached picomatch matcher (rules are few and reused). */
export function globMatch(pattern: string, text: string): boolean {
  let m = matchers.get(pattern);
  if (!m) {
    if (matchers.size > 1000) matchers.clear();
    m = picomatch(pattern, { dot: true });
    matchers.set(pattern, m);
  }
  return m(text);
}

export const ruleMatches = (rule: { Repositories: string; Tags: string }, repository: string, tag: string): boolean =>
  globMatch(rule.Repositories, pathInProject(repository)) && globMatch(rule.Tags, tag);

/** immutableBy returns the index of the first immutability rule protecting the tag, or -1. */
export function immutableBy(rules: readonly ImmutabilityRule[] | undefined, repository: string, tag: string): number {
  return (rules ?? []).findIndex((r) => ruleMatches(r, repository, tag));
}

export const describeImmutabilityRule = (rule: ImmutabilityRule, index: number): string =>
  `immutability rule ${index + 1} (repositories "${rule.Repositories}", tags "${rule.Tags}")`;

export function describeRetentionRule(rule: RetentionRule, index: number): string {
  const what =
    rule.Keep === 'latestPushed' ? `keep the ${rule.Count} most recently pushed` : rule.Keep === 'matching' ? 'keep every matching tag' : `keep tags pushed within ${rule.Days} days`;
  return `retention rule ${index + 1} (${what}; repositories "${rule.Repositories}", tags "${rule.Tags}")`;
}


function pattern(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InvalidArgumentError(`${field} must be a non-empty picomatch pattern such as "**" (every repository) or "v*" (tags starting with v)`);
  }
  if (value.length > 256) throw new InvalidArgumentError(`${field} is ${value.length} characters long; the limit is 256`);
  try {
    picomatch.makeRe(value);
  } catch (err) {
    throw new InvalidArgumentError(`${field} "${value}" is not a valid pattern: ${(err as Error).message}`);
  }
  return value;
}

function positiveInteger(value: unknown, field: string, max: number, example: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new InvalidArgumentError(`${field} must be a whole number from 1 to ${max}, such as ${example}`);
  }
  return value;
}

function rulesArray(body: unknown, what: string): unknown[] {
  if (!isObj(body)) throw new InvalidArgumentError(`the body must be a JSON object with a Rules array of ${what}`);
  const rules = body.Rules;
  if (!Array.isArray(rules)) throw new InvalidArgumentError(`Rules must be an array of ${what} ([] for none)`);
  if (rules.length > MAX_RULES) throw new InvalidArgumentError(`Rules has ${rules.length} rules; a project may have at most ${MAX_RULES}`);
  return rules;
}

/** parseRetentionPolicy checks a PUT body and returns the policy with only known fields. */
export function parseRetentionPolicy(body: unknown): RetentionPolicy {
  const rules = rulesArray(body, 'retention rules').map((raw, i): RetentionRule => {
    const at = `Rules[${i}]`;
    if (!isObj(raw)) throw new InvalidArgumentError(`${at} must be an object with Repositories, Tags and Keep`);
    const Repositories = pattern(raw.Repositories, `${at}.Repositories`);
    const Tags = pattern(raw.Tags, `${at}.Tags`);
    switch (raw.Keep) {
      case 'latestPushed':
        return { Repositories, Tags, Keep: raw.Keep, Count: positiveInteger(raw.Count, `${at}.Count`, 10_000, '10') };
      case 'matching':
        return { Repositories, Tags, Keep: raw.Keep };
      case 'pushedWithinDays':
        return { Repositories, Tags, Keep: raw.Keep, Days: positiveInteger(raw.Days, `${at}.Days`, 36_500, '30') };
      default:
        throw new InvalidArgumentError(`${at}.Keep must be one of ${KEEPS.map((k) => `"${k}"`).join(', ')}`);
    }
  });
  const policy: RetentionPolicy = { Rules: rules };
  const schedule = (body as Record<string, unknown>).Schedule;
  if (schedule !== undefined && schedule !== null) {
    if (!isObj(schedule)) throw new InvalidArgumentError('Schedule must be an object such as {"IntervalSeconds": 86400} or {"Cron": "0 0 3 * * *"}, or absent for manual runs only');
    policy.Schedule = checkSchedule(schedule, 'Schedule');
  }
  return policy;
}

/** parseImmutabilityRules checks a PUT body ({"Rules": [...]}) and returns the rules. */
export function parseImmutabilityRules(body: unknown): ImmutabilityRule[] {
  return rulesArray(body, 'immutability rules').map((raw, i) => {
    const at = `Rules[${i}]`;
    if (!isObj(raw)) throw new InvalidArgumentError(`${at} must be an object with Repositories and Tags`);
    return { Repositories: pattern(raw.Repositories, `${at}.Repositories`), Tags: pattern(raw.Tags, `${at}.Tags`) };
  });
}
