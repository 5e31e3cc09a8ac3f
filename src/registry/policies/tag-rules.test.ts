import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../types/index.js';
import { immutableBy, parseImmutabilityRules, parseRetentionPolicy, pathInProject } from './tag-rules.js';

test('repository patterns match the path inside the project; ** spans slashes, * does not', () => {
  assert.equal(pathInProject('team/app/web'), 'app/web');
  assert.equal(pathInProject('library/nginx'), 'nginx');
  assert.equal(pathInProject('nginx'), 'nginx');
  const rules = [{ Repositories: 'app/*', Tags: 'v*' }, { Repositories: '**', Tags: '{release-*,stable}' }];
  assert.equal(immutableBy(rules, 'team/app/web', 'v1.2'), 0);
  assert.equal(immutableBy(rules, 'team/app/web/x', 'v1.2'), -1);
  assert.equal(immutableBy(rules, 'team/app/web/x', 'stable'), 1);
  assert.equal(immutableBy(rules, 'nginx', 'release-3'), 1);
  assert.equal(immutableBy(rules, 'nginx', 'latest'), -1);
  assert.equal(immutableBy(undefined, 'nginx', 'latest'), -1);
});

test('a retention policy keeps only known fields, with its schedule', () => {
  const policy = parseRetentionPolicy({
    Rules: [
      { Repositories: '**', Tags: '**', Keep: 'latestPushed', Count: 3, Days: 9 },
      { Repositories: 'web', Tags: 'v*', Keep: 'matching' },
      { Repositories: '**', Tags: '*', Keep: 'pushedWithinDays', Days: 7 },
    ],
    Schedule: { IntervalSeconds: 3600 },
  });
  assert.deepEqual(policy, {
    Rules: [
      { Repositories: '**', Tags: '**', Keep: 'latestPushed', Count: 3 },
      { Repositories: 'web', Tags: 'v*', Keep: 'matching' },
      { Repositories: '**', Tags: '*', Keep: 'pushedWithinDays', Days: 7 },
    ],
    Schedule: { IntervalSeconds: 3600 },
  });
  assert.deepEqual(parseRetentionPolicy({ Rules: [] }), { Rules: [] });
  assert.deepEqual(parseRetentionPolicy({ Rules: [], Schedule: { Cron: '0 0 3 * * *' } }), { Rules: [], Schedule: { Cron: '0 0 3 * * *' } });
});

test('bad rules are refused with the field named', () => {
  const cases: [unknown, RegExp][] = [
    [[], /the body must be a JSON object/],
    [{}, /^Rules must be an array/],
    [{ Rules: [1] }, /^Rules\[0\] must be an object/],
    [{ Rules: [{ Tags: '*', Keep: 'matching' }] }, /^Rules\[0\]\.Repositories must be a non-empty/],
    [{ Rules: [{ Repositories: '**', Tags: '', Keep: 'matching' }] }, /^Rules\[0\]\.Tags must be a non-empty/],
    [{ Rules: [{ Repositories: '**', Tags: '*', Keep: 'newest' }] }, /^Rules\[0\]\.Keep must be one of "latestPushed"/],
    [{ Rules: [{ Repositories: '**', Tags: '*', Keep: 'latestPushed' }] }, /^Rules\[0\]\.Count must be a whole number/],
    [{ Rules: [{ Repositories: '**', Tags: '*', Keep: 'latestPushed', Count: 0 }] }, /^Rules\[0\]\.Count must be a whole number from 1/],
    [{ Rules: [{ Repositories: '**', Tags: '*', Keep: 'pushedWithinDays', Days: 1.5 }] }, /^Rules\[0\]\.Days must be a whole number/],
    [{ Rules: [], Schedule: { IntervalSeconds: -1 } }, /^Schedule\.IntervalSeconds must be a whole number/],
    [{ Rules: [], Schedule: 'daily' }, /^Schedule must be an object/],
    [{ Rules: [], Schedule: { Cron: '0 25 * * *' } }, /^Schedule\.Cron "0 25 \* \* \*" is not a cron expression/],
    [{ Rules: Array.from({ length: 16 }, () => ({ Repositories: '**', Tags: '*', Keep: 'matching' })) }, /at most 15/],
  ];
  for (const [body, message] of cases) assert.throws(() => parseRetentionPolicy(body), (err: Error) => err instanceof InvalidArgumentError && message.test(err.message), JSON.stringify(body));
  assert.throws(() => parseImmutabilityRules({ Rules: [{ Repositories: '**' }] }), { message: /^Rules\[0\]\.Tags must be a non-empty/ });
  assert.deepEqual(parseImmutabilityRules({ Rules: [{ Repositories: '**', Tags: 'v*', Extra: 1 }] }), [{ Repositories: '**', Tags: 'v*' }]);
});
