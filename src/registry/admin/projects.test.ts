import assert from 'node:assert/strict';
import { test } from 'node:test';
import { projectOf } from './projects.js';

test('projectOf: the first path component, library for a one-component name', () => {
  assert.equal(projectOf('team/app'), 'team');
  assert.equal(projectOf('team/sub/app'), 'team');
  assert.equal(projectOf('nginx'), 'library');
});
