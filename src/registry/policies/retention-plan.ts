// Which tags a retention policy keeps (Harbor's semantics): only repositories that some rule's
// repository pattern matches are considered; in them a tag is kept if any rule keeps it or an
// immutability rule protects it, and every other tag is to be deleted. A tag's push time is the
// time its tag object was last written.

import type { ImmutabilityRule, RetentionPolicy, RetentionRule } from '../../types/index.js';
import { describeImmutabilityRule, describeRetentionRule, globMatch, immutableBy, pathInProject } from './tag-rules.js';

export interface TagState {
  repository: string;
  tag: string;
  digest: string;
  pushedAt: Date;
}

export interface RetentionPlan {
  keep: { tag: TagState; reasons: string[] }[];
  remove: TagState[];
}

const DAY_MS = 24 * 3600 * 1000;

/** appliesTo tells whether any rule's repository pattern matches the repository. */
export const appliesTo = (policy: RetentionPolicy, repository: string): boolean =>
  policy.Rules.some((r) => globMatch(r.Repositories, pathInProject(repository)));

/** keptBy returns the tags (of one repository) that one rule keeps. */
function keptBy(rule: RetentionRule, tags: readonly TagState[], now: Date): TagState[] {
  const candidates = tags.filter((t) => globMatch(rule.Repositories, pathInProject(t.repository)) && globMatch(rule.Tags, t.tag));
  switch (rule.Keep) {
    case 'matching':
      return candidates;
    case 'pushedWithinDays':
      return candidates.filter((t) => now.getTime() - t.pushedAt.getTime() <= rule.Days * DAY_MS);
    case 'latestPushed':
      // Newest first; equal times by tag name, so the choice is stable between runs.
      return [...candidates].sort((a, b) => b.pushedAt.getTime() - a.pushedAt.getTime() || (a.tag < b.tag ? -1 : 1)).slice(0, rule.Count);
  }
}

/** planRetention decides, for the tags of one repository, which stay and which go. */
export function planRetention(policy: RetentionPolicy, immutable: readonly ImmutabilityRule[] | undefined, tags: readonly TagState[], now: Date): RetentionPlan {
  const reasons = new Map<TagState, string[]>(tags.map((t) => [t, []]));
  policy.Rules.forEach((rule, i) => {
    for (const t of keptBy(rule, tags, now)) reasons.get(t)!.push(describeRetentionRule(rule, i));
  });
  for (const t of tags) {
    const index = immutableBy(immutable, t.repository, t.tag);
    if (index >= 0) reasons.get(t)!.push(describeImmutabilityRule(immutable![index]!, index));
  }
  const plan: RetentionPlan = { keep: [], remove: [] };
  for (const [tag, why] of reasons) {
    if (why.length > 0) plan.keep.push({ tag, reasons: why });
    else plan.remove.push(tag);
  }
  return plan;
}
