import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_ROOT_CERT } from '../../test/helpers/objects.js';
import { openTestStore } from '../../test/helpers/store.js';
import { silentLogger } from '../common/log.js';
import { ensureCluster } from './bootstrap.js';
import { TokenFile } from './token-file.js';
import { until } from '../../test/helpers/wait.js';

test('the worker token file is written at start and follows a rotation', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-token-'));
  const store = await openTestStore();
  const cluster = ensureCluster(store, { rootCert: TEST_ROOT_CERT });
  const ac = new AbortController();
  const file = join(dir, 'worker-token');
  const done = new TokenFile(store, file, silentLogger()).run(ac.signal);
  assert.equal(readFileSync(file, 'utf8').trim(), cluster.JoinTokens.Worker, 'written before run() returns control');
  store.update((tx) => tx.clusters.update({ ...tx.cluster()!, JoinTokens: { ...tx.cluster()!.JoinTokens, Worker: 'SWMTKN-1-rotated' } }));
  await until(() => readFileSync(file, 'utf8').trim() === 'SWMTKN-1-rotated', 2000, 'rotated token in the file', 10);
  ac.abort();
  await done;
  store.close();
  rmSync(dir, { recursive: true, force: true });
});
