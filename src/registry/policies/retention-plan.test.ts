import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RetentionPolicy } from '../../types/index.js';
import { appliesTo, planRetention, type TagState } from './retention-plan.js';

const now = new Date('2026-06-30T12:00:00Z');
const daysAgo = (d: number): Date => new Date(now.getTime() - d * 24 * 3600 * 1000);
const tag = (name: string, age: number, repository = 'team/web'): TagState => ({ repository, tag: name, digest: `sha256:${name}`, pushedAt: daysAgo(age) });
const names = (ts: TagState[]): string[] => ts.map((t) => t.tag).sort();

test('latestPushed keeps the N newest matching tags; other tags go', () => {
  const tags = [tag('v1', 5), tag('v2', 4), tag('v3', 3), tag('dev', 0), tag('v4', 1)];
  const plan = planRetention({ Rules: [{ Repositories: '**', Tags: 'v*', Keep: 'latestPushed', Count: 2 }] }, undefined, tags, now);
  assert.deepEqual(names(plan.keep.map((k) => k.tag)), ['v3', 'v4']);
  assert.deepEqual(names(plan.remove), ['dev', 'v1', 'v2'], 'dev matches no rule, so it is not kept');
  assert.match(plan.keep[0]!.reasons[0]!, /retention rule 1 \(keep the 2 most recently pushed/);
});

test('rules combine with OR; pushedWithinDays and matching; immutable tags are always kept', () => {
  const policy: RetentionPolicy = {
    Rules: [
      { Repositories: '**', Tags: '**', Keep: 'pushedWithinDays', Days: 7 },
      { Repositories: 'web', Tags: 'release-*', Keep: 'matching' },
    ],
  };
  const tags = [tag('old', 30), tag('new', 2), tag('release-1', 400), tag('edge', 8), tag('pinned', 99)];
  const plan = planRetention(policy, [{ Repositories: '**', Tags: 'pinned' }], tags, now);
  assert.deepEqual(names(plan.keep.map((k) => k.tag)), ['new', 'pinned', 'release-1']);
  assert.deepEqual(names(plan.remove), ['edge', 'old']);
  assert.match(plan.keep.find((k) => k.tag.tag === 'pinned')!.reasons[0]!, /immutability rule 1/);
});

test('a policy applies only to repositories its repository patterns match', () => {
  const policy: RetentionPolicy = { Rules: [{ Repositories: 'ci/*', Tags: '**', Keep: 'latestPushed', Count: 1 }] };
  assert.equal(appliesTo(policy, 'team/ci/build'), true);
  assert.equal(appliesTo(policy, 'team/web'), false);
  assert.equal(appliesTo({ Rules: [] }, 'team/web'), false);
});
