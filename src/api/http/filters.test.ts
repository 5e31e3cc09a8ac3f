import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allLabels, anyExact, anyPrefix, parseFilters } from './filters.js';

test('parseFilters reads the CLI form and the legacy list form, and nothing when absent', () => {
  const f = parseFilters('{"name":{"web":true,"api":true},"label":["a=b"]}', ['name', 'label']);
  assert.deepEqual(f.get('name'), ['web', 'api']);
  assert.deepEqual(f.get('label'), ['a=b']);
  assert.equal(parseFilters(undefined, []).size, 0);
  assert.equal(parseFilters('', []).size, 0);
});

test('parseFilters rejects unknown keys, bad JSON and bad shapes with a 400-class error', () => {
  assert.throws(() => parseFilters('{"nope":{"x":true}}', ['name']), /invalid filter 'nope'/);
  assert.throws(() => parseFilters('{"name":', ['name']), /invalid filters: not valid JSON/);
  assert.throws(() => parseFilters('["name"]', ['name']), /invalid filters: expected a JSON object/);
  assert.throws(() => parseFilters('{"name":"web"}', ['name']), /the value of 'name' must be an object/);
  assert.throws(() => parseFilters(['a', 'b'], ['name']), /give the filters parameter once/);
});

test('matchers: prefixes and exact values are alternatives, labels must all match, own keys only', () => {
  assert.ok(anyPrefix(undefined, 'abc'));
  assert.ok(anyPrefix(['x', 'ab'], 'abc'));
  assert.ok(!anyPrefix(['abcd'], 'abc'));
  assert.ok(anyPrefix(['wor'], undefined, 'worker'));
  assert.ok(anyExact(['a', 'b'], 'b'));
  assert.ok(!anyExact(['a'], undefined));
  assert.ok(allLabels(['a', 'b=2'], { a: '', b: '2' }));
  assert.ok(!allLabels(['a', 'b=3'], { a: '', b: '2' }));
  assert.ok(allLabels(['k=v=w'], { k: 'v=w' }), 'the value may contain =');
  assert.ok(!allLabels(['constructor'], {}), 'inherited keys are not labels');
  assert.ok(!allLabels(['a'], undefined));
});
