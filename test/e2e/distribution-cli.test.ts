// End to end: `docker service create` pins the image to its digest through Berth's
// /distribution/{name}/json, asking the registry `berth up` runs, and the pinned service runs.
// The image is in a private project: the CLI sends the login from its config.json
// (--with-registry-auth), which /distribution and the agent's pull use.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TEST_ENGINE_DIR, TEST_IMAGE, removeNodeContainers, testEngine, type TestEngine } from '../helpers/engine.js';
import { BerthProcess, docker, dockerOk, freePort, managerApi, tempDir } from '../helpers/berth.js';
import { until } from '../helpers/wait.js';
import { TEST_ADMIN_PASSWORD, registryAdmin, registryFetch } from '../helpers/registry-auth.js';

const exec = promisify(execFile);
const AUTH = Buffer.from(`admin:${TEST_ADMIN_PASSWORD}`).toString('base64');

describe('docker service create pins the image digest through /distribution', { timeout: 180_000 }, () => {
  let data: string;
  let home: string;
  let up: BerthProcess;
  let apiUrl: string;
  let registry: string;
  let engine: TestEngine;
  let nodeId: string | undefined;
  const { api, running } = managerApi(() => apiUrl);

  before(async () => {
    engine = await testEngine();
    data = tempDir('repl-distribution');
    home = tempDir('repl-distribution-home');
    const [apiPort, regPort] = [await freePort(), await freePort()];
    apiUrl = `http://127.0.0.1:${apiPort}`;
    registry = `127.0.0.1:${regPort}`;
    up = new BerthProcess(['up', '--data-dir', data, '--listen', `127.0.0.1:${apiPort}`, '--insecure-api', '--cluster-listen', '127.0.0.1:0', '--engine', engine.url, '--hostname', 'repl-distribution', '--registry', registry], { BERTH_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD });
    await up.waitFor(/is up/);
    nodeId = (await api<Array<{ ID: string }>>('/nodes'))[0]?.ID;
    await registryAdmin(`http://${registry}`, 'admin', TEST_ADMIN_PASSWORD, 'POST', '/projects', { Name: 'repl' });
    // Pushed from the engine the agent runs on, as a user builds and pushes before deploying.
    await exec('podman', ['push', '--tls-verify=false', '--creds', `admin:${TEST_ADMIN_PASSWORD}`, TEST_IMAGE, `${registry}/repl/demo:1`], {
      env: { ...process.env, CONTAINERS_CONF: join(TEST_ENGINE_DIR, 'containers.conf') },
      timeout: 60_000,
    });
    // What `docker login` leaves in the CLI's config.
    mkdirSync(join(home, '.docker'), { recursive: true });
    writeFileSync(join(home, '.docker', 'config.json'), JSON.stringify({ auths: { [registry]: { auth: AUTH } } }));
  });

  after(async () => {
    if (apiUrl) await docker(apiUrl, ['service', 'rm', 'repl-pinned', 'repl-unknown'], 30_000, home);
    await up?.stop();
    if (nodeId) await removeNodeContainers(engine.docker, nodeId);
    for (const d of [data, home]) if (d) rmSync(d, { recursive: true, force: true });
  });

  test('the CLI records name:tag@digest and the platform, and the service runs', async () => {
    const head = await registryFetch(`http://${registry}`, 'admin', TEST_ADMIN_PASSWORD, '/v2/repl/demo/manifests/1', {
      method: 'HEAD',
      headers: { Accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' },
    });
    const digest = head.headers.get('docker-content-digest');
    assert.match(digest ?? '', /^sha256:[0-9a-f]{64}$/);

    const created = await docker(apiUrl, ['service', 'create', '-d', '--with-registry-auth', '--name', 'repl-pinned', `${registry}/repl/demo:1`, 'sleep', '3600'], 60_000, home);
    assert.equal(created.code, 0, created.stderr);
    assert.doesNotMatch(created.stderr, /could not be accessed on a registry/);
    const [svc] = JSON.parse(await dockerOk(apiUrl, ['service', 'inspect', 'repl-pinned'], home));
    assert.equal(svc.Spec.TaskTemplate.ContainerSpec.Image, `${registry}/repl/demo:1@${digest}`);
    assert.deepEqual(svc.Spec.TaskTemplate.Placement.Platforms, [{ Architecture: 'amd64', OS: 'linux' }]);

    await until(async () => (await running('repl-pinned')).length === 1, 60_000, 'the pinned service running');
  });

  test('an unknown tag answers 404 in docker\'s words; the CLI warns and keeps the image as written', async () => {
    const xRegistryAuth = Buffer.from(JSON.stringify({ auth: AUTH, serveraddress: registry })).toString('base64url');
    const res = await fetch(`${apiUrl}/v1.41/distribution/${registry}/repl/demo:nope/json`, { headers: { 'X-Registry-Auth': xRegistryAuth } });
    assert.equal(res.status, 404);
    assert.match(((await res.json()) as { message: string }).message, new RegExp(`^manifest for ${registry.replace(/\./g, '\\.')}/repl/demo:nope not found: manifest unknown: `));

    const created = await docker(apiUrl, ['service', 'create', '-d', '--with-registry-auth', '--name', 'repl-unknown', `${registry}/repl/demo:nope`], 60_000, home);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stderr, /could not be accessed on a registry to record\s+its digest/);
    const [svc] = JSON.parse(await dockerOk(apiUrl, ['service', 'inspect', 'repl-unknown'], home));
    assert.equal(svc.Spec.TaskTemplate.ContainerSpec.Image, `${registry}/repl/demo:nope`);
  });
});
