import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Store } from '../store/index.js';
import { ensureCluster } from './bootstrap.js';

test('the cluster is created once with Swarm-shaped join tokens; the history limit is set only when given', () => {
  const store = new Store();
  const first = ensureCluster(store);
  assert.match(first.JoinTokens.Worker, /^SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}$/);
  assert.notEqual(first.JoinTokens.Worker, first.JoinTokens.Manager);
  assert.equal(first.Spec.Orchestration.TaskHistoryRetentionLimit, 5);
  assert.equal(ensureCluster(store).ID, first.ID, 'a restart keeps the cluster and its tokens');
  assert.equal(ensureCluster(store, 2).Spec.Orchestration.TaskHistoryRetentionLimit, 2);
  assert.equal(ensureCluster(store).Spec.Orchestration.TaskHistoryRetentionLimit, 2, 'kept when not given again');
  assert.equal(ensureCluster(store).JoinTokens.Worker, first.JoinTokens.Worker);
  store.close();
});
