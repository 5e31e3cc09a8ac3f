// The files an agent writes so its engine trusts the cluster's registry, in a certs.d directory
// of the test's own: only for announced names and only on a pull, one file per node so agents
// sharing an engine never touch each other's (nor an operator's ca.crt), and removed again.
// test/integration/registry-trust.test.ts pulls through real Podman and Docker engines.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../common/log.js';
import { dockerFor } from './engine-client.js';
import { TaskError } from './engine-errors.js';
import { RegistryTrust } from './registry-trust.js';

const ROOT_A = '-----BEGIN CERTIFICATE-----\ncluster A\n-----END CERTIFICATE-----\n';
const ROOT_B = '-----BEGIN CERTIFICATE-----\ncluster B\n-----END CERTIFICATE-----\n';
const REGISTRY = '10.0.0.1:5000';

function trustFor(certsDir: string, nodeId: string, root: () => string): RegistryTrust {
  // The engine is never asked: the directory is given.
  return new RegistryTrust({ docker: dockerFor('unix:///nonexistent/engine.sock'), certsDir, identity: () => ({ nodeId, rootCA: root() }), log: silentLogger() });
}

test('the root is written on a pull from an announced name only, kept current, and removed when the name goes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-certs-d-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let root = ROOT_A;
  const a = trustFor(dir, 'nodea', () => root);
  await a.beforePull(REGISTRY);
  assert.deepEqual(readdirSync(dir), [], 'not the cluster\'s registry: nothing written');
  // A file this node left behind for a name no longer announced (an agent that crashed).
  mkdirSync(join(dir, 'old:5000'));
  writeFileSync(join(dir, 'old:5000', 'berth-nodea.crt'), ROOT_A);

  await a.announce([REGISTRY, 'mgr:5000']);
  assert.equal(existsSync(join(dir, 'old:5000')), false, 'the leftover and its empty directory are gone');
  assert.deepEqual(readdirSync(dir), [], 'nothing is written before a pull');
  await a.beforePull(REGISTRY);
  assert.equal(readFileSync(join(dir, REGISTRY, 'berth-nodea.crt'), 'utf8'), ROOT_A);
  assert.deepEqual(readdirSync(dir), [REGISTRY], 'only the name pulled from');
  root = `${ROOT_B}${ROOT_A}`; // a rotation: the node now trusts both
  await a.beforePull(REGISTRY);
  assert.equal(readFileSync(join(dir, REGISTRY, 'berth-nodea.crt'), 'utf8'), root);

  await a.announce(['mgr:5000']);
  assert.deepEqual(readdirSync(dir), [], 'no longer announced: the file and its directory are gone');
  await a.beforePull(REGISTRY);
  assert.deepEqual(readdirSync(dir), []);
});

test('agents sharing an engine each keep their own file, and leave an operator\'s ca.crt alone', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-certs-d-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, REGISTRY));
  writeFileSync(join(dir, REGISTRY, 'ca.crt'), 'the operator\'s');
  const a = trustFor(dir, 'nodea', () => ROOT_A);
  const b = trustFor(dir, 'nodeb', () => ROOT_B);
  const a2 = trustFor(dir, 'nodea2', () => ROOT_A);
  await Promise.all([a, b, a2].map((x) => x.announce([REGISTRY])));
  await Promise.all([a, b, a2].map((x) => x.beforePull(REGISTRY)));
  assert.deepEqual(readdirSync(join(dir, REGISTRY)).sort(), ['berth-nodea.crt', 'berth-nodea2.crt', 'berth-nodeb.crt', 'ca.crt']);
  assert.equal(readFileSync(join(dir, REGISTRY, 'berth-nodeb.crt'), 'utf8'), ROOT_B, 'another cluster\'s root beside, not over, this one\'s');

  await a.clear();
  assert.deepEqual(readdirSync(join(dir, REGISTRY)).sort(), ['berth-nodea2.crt', 'berth-nodeb.crt', 'ca.crt']);
  await Promise.all([b.clear(), a2.clear()]);
  assert.deepEqual(readdirSync(join(dir, REGISTRY)), ['ca.crt'], 'the operator\'s file keeps its directory');
  assert.equal(readFileSync(join(dir, REGISTRY, 'ca.crt'), 'utf8'), 'the operator\'s');
});

test('a certs.d that cannot be written fails the pull with the file and the fix', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-certs-d-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'file'), '');
  const a = trustFor(join(dir, 'file'), 'nodea', () => ROOT_A);
  await a.announce([REGISTRY]);
  await assert.rejects(a.beforePull(REGISTRY), (err: Error) => {
    assert.ok(err instanceof TaskError);
    assert.match(err.message, /cannot make the engine trust the cluster's registry 10\.0\.0\.1:5000: writing .*file\/10\.0\.0\.1:5000\/berth-nodea\.crt failed \(.*ENOTDIR.*\); run the agent as root, or give --registry-certs-dir DIR/);
    return true;
  });
});
