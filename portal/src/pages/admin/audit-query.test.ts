import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auditQuery, shownValue, withFilters } from './audit-query';

test('the URL is the API query: filters and the cursor pass through trimmed, empty ones are left out, a page is 50', () => {
  const url = new URLSearchParams('user=%20alice%20&action=secret&object=&since=2h&before=abc&tab=x');
  assert.equal(auditQuery(url), 'user=alice&action=secret&since=2h&before=abc&limit=50');
  assert.equal(auditQuery(new URLSearchParams()), 'limit=50');
});

test('new filters start from the newest page', () => {
  assert.equal(withFilters({ user: 'bob', object: ' web ', until: '' }).toString(), 'user=bob&object=web');
});

test('values: text as is, objects indented, absent a dash', () => {
  assert.equal(shownValue(undefined), '—');
  assert.equal(shownValue('<redacted>'), '<redacted>');
  assert.equal(shownValue(3), '3');
  assert.equal(shownValue({ Replicas: 3 }), '{\n  "Replicas": 3\n}');
});
