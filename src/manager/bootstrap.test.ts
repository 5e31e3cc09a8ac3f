import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openTestStore } from '../../test/helpers/store.js';
import { rootDigest } from '../common/pki.js';
import { parseJoinToken } from '../common/tokens.js';
import { createRootCA } from '../ca/index.js';
import { TEST_ROOT_CERT } from '../../test/helpers/objects.js';
import { ensureCluster } from './bootstrap.js';

test('the cluster is created once with Swarm-shaped join tokens that pin its root CA; the history limit is set only when given', async () => {
  const store = await openTestStore();
  const setup = { rootCert: TEST_ROOT_CERT };
  const first = ensureCluster(store, setup);
  assert.match(first.JoinTokens.Worker, /^SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}$/);
  assert.equal(parseJoinToken(first.JoinTokens.Worker)?.digest, rootDigest(TEST_ROOT_CERT), 'the token names the root CA');
  assert.notEqual(first.JoinTokens.Worker, first.JoinTokens.Manager);
  assert.equal(first.BerthCA?.RootCert, TEST_ROOT_CERT);
  assert.equal(first.Spec.Orchestration.TaskHistoryRetentionLimit, 5);
  assert.equal(ensureCluster(store, setup).ID, first.ID, 'a restart keeps the cluster and its tokens');
  assert.equal(ensureCluster(store, { ...setup, taskHistory: 2 }).Spec.Orchestration.TaskHistoryRetentionLimit, 2);
  assert.equal(ensureCluster(store, setup).Spec.Orchestration.TaskHistoryRetentionLimit, 2, 'kept when not given again');
  assert.equal(ensureCluster(store, setup).JoinTokens.Worker, first.JoinTokens.Worker);
  store.close();
});

test("a cluster from before the CA gets the root and tokens that name it; another data dir's root is refused", async () => {
  const store = await openTestStore();
  const old = ensureCluster(store, { rootCert: TEST_ROOT_CERT });
  store.update((tx) => tx.clusters.update({ ...tx.cluster()!, BerthCA: undefined }));
  const other = (await createRootCA()).certPem;
  const upgraded = ensureCluster(store, { rootCert: other });
  assert.equal(upgraded.BerthCA?.RootCert, other);
  assert.equal(parseJoinToken(upgraded.JoinTokens.Worker)?.digest, rootDigest(other));
  assert.equal(parseJoinToken(upgraded.JoinTokens.Worker)?.secret, parseJoinToken(old.JoinTokens.Worker)?.secret, 'the secret part stays');
  assert.throws(() => ensureCluster(store, { rootCert: TEST_ROOT_CERT }), /root CA certificate is not the cluster's/);
  store.close();
});
