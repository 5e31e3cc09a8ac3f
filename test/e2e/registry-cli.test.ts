// End to end: `berth registry` and the registry `berth up` starts, as the built executable.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { testEngine } from '../helpers/engine.js';
import { BerthProcess, freePort, tempDir } from '../helpers/berth.js';
import { TEST_ADMIN_PASSWORD, registryAdmin, registryFetch } from '../helpers/registry-auth.js';

const sha256 = (s: string): string => `sha256:${createHash('sha256').update(s).digest('hex')}`;

describe('berth registry and berth up --registry', { timeout: 180_000 }, () => {
  const dirs: string[] = [];
  const procs: BerthProcess[] = [];
  const dir = (): string => {
    const d = tempDir('registry-cli');
    dirs.push(d);
    return d;
  };
  const start = (args: string[], env: NodeJS.ProcessEnv = { BERTH_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD }): BerthProcess => {
    const p = new BerthProcess(args, env);
    procs.push(p);
    return p;
  };
  const exited = async (p: BerthProcess): Promise<number | null> =>
    p.child.exitCode ?? (await new Promise((resolve) => p.child.once('exit', (code) => resolve(code))));

  after(async () => {
    for (const p of procs) await p.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test('the first start without BERTH_ADMIN_PASSWORD prints a random admin password once', async () => {
    const data = join(dir(), 'data');
    const port = await freePort();
    let reg = start(['registry', '--data-dir', data, '--listen', `127.0.0.1:${port}`], {});
    const [, password] = await reg.waitFor(/Registry admin password \(shown once[^:]*\): (\S+)/);
    const token = await fetch(`http://127.0.0.1:${port}/service/token`, { headers: { Authorization: `Basic ${Buffer.from(`admin:${password}`).toString('base64')}` } });
    assert.equal(token.status, 200);
    assert.equal(await reg.stop(), 0);
    reg = start(['registry', '--data-dir', data, '--listen', `127.0.0.1:${port}`], {});
    await reg.waitFor(/listening on/);
    assert.doesNotMatch(reg.output, /admin password/);
    await reg.stop();
  });

  test('berth registry serves, keeps what was pushed across a restart, and refuses a busy or non-loopback address', async () => {
    const data = join(dir(), 'data');
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    let reg = start(['registry', '--data-dir', data, '--listen', `127.0.0.1:${port}`]);
    await reg.waitFor(/listening on http:\/\/127\.0\.0\.1:\d+/);
    assert.doesNotMatch(reg.output, /admin password/, 'a password given in BERTH_ADMIN_PASSWORD is not printed');
    assert.equal((await fetch(`${url}/v2/`)).status, 401, 'auth is always on');
    const put = await registryFetch(url, 'admin', TEST_ADMIN_PASSWORD, `/v2/library/test/blobs/uploads/?digest=${sha256('kept')}`, { method: 'POST', body: 'kept' });
    assert.equal(put.status, 201);

    const busy = start(['registry', '--data-dir', join(data, '..', 'other'), '--listen', `127.0.0.1:${port}`]);
    assert.equal(await exited(busy), 1);
    assert.match(busy.output, /cannot listen on 127\.0\.0\.1:\d+: the address is in use/);

    assert.equal(await reg.stop(), 0);
    reg = start(['registry', '--data-dir', data, '--listen', `127.0.0.1:${port}`]);
    await reg.waitFor(/listening on/);
    assert.equal(await (await registryFetch(url, 'admin', TEST_ADMIN_PASSWORD, `/v2/library/test/blobs/${sha256('kept')}`)).text(), 'kept');
    await reg.stop();

    const open = start(['registry', '--data-dir', data, '--listen', `0.0.0.0:${port}`]);
    assert.equal(await exited(open), 1);
    assert.match(open.output, /refusing to serve the registry on 0\.0\.0\.0:\d+ without TLS: .*--tls-cert FILE --tls-key FILE/);
  });

  test('berth registry --gc-cron collects garbage at the times it names; a bad expression or both schedules are refused', async () => {
    const data = join(dir(), 'data');
    const port = await freePort();
    const reg = start(['registry', '--data-dir', data, '--listen', `127.0.0.1:${port}`, '--gc-cron', '* * * * * *']);
    await reg.waitFor(/listening on/);
    type Status = { cron: string | null; runs: { status: string }[] };
    let status: Status = { cron: null, runs: [] };
    for (let i = 0; status.runs.filter((r) => r.status === 'succeeded').length < 2; i++) {
      assert.ok(i < 100, `two scheduled runs within 10 s: ${JSON.stringify(status)}`);
      await new Promise((r) => setTimeout(r, 100));
      status = (await registryAdmin(`http://127.0.0.1:${port}`, 'admin', TEST_ADMIN_PASSWORD, 'GET', '/gc')) as Status;
    }
    assert.equal(status.cron, '* * * * * *');
    await reg.stop();

    const bad = start(['registry', '--data-dir', data, '--listen', `127.0.0.1:${port}`, '--gc-cron', 'nightly']);
    assert.notEqual(await exited(bad), 0);
    assert.match(bad.output, /"nightly" is not a cron expression .*: write five fields \(minute hour day month weekday\) or six with seconds first/);
    const both = start(['registry', '--data-dir', data, '--listen', `127.0.0.1:${port}`, '--gc-cron', '0 3 * * *', '--gc-interval', '24h']);
    assert.equal(await exited(both), 1);
    assert.match(both.output, /give --gc-interval or --gc-cron, not both/);
  });

  test('berth registry --allow-outbound lets webhooks reach a refused range (repeatable), never the registry itself; a bad range stops the start', async () => {
    const data = join(dir(), 'data');
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const hook = async (target: string): Promise<number> =>
      (await fetch(`${url}/berth/v1/registry/projects/library/webhooks`, {
        method: 'POST',
        headers: { Authorization: `Basic ${Buffer.from(`admin:${TEST_ADMIN_PASSWORD}`).toString('base64')}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ url: target, events: ['push'] }),
      })).status;
    let reg = start(['registry', '--data-dir', data, '--listen', `127.0.0.1:${port}`]);
    await reg.waitFor(/listening on/);
    assert.equal(await hook('http://127.0.0.1:9/hook'), 400, 'loopback is refused by default');
    await reg.stop();
    reg = start(['registry', '--data-dir', data, '--listen', `127.0.0.1:${port}`, '--allow-outbound', '127.0.0.0/8', '--allow-outbound', '::1']);
    await reg.waitFor(/listening on/);
    assert.equal(await hook('http://127.0.0.1:9/hook'), 201);
    assert.equal(await hook('http://[::1]:9/hook'), 201);
    assert.equal(await hook(`${url}/hook`), 400, 'the registry itself stays refused');
    await reg.stop();
    const bad = start(['registry', '--data-dir', data, '--listen', `127.0.0.1:${port}`, '--allow-outbound', 'localhost']);
    assert.equal(await exited(bad), 1);
    assert.match(bad.output, /--allow-outbound <cidr>.*invalid --allow-outbound "localhost": give an address range such as 127\.0\.0\.1\/32/);
  });

  test('berth up refuses a registry address this machine does not have, and half or unreadable TLS files, before starting anything', async () => {
    const data = dir();
    // Off loopback without a certificate is allowed (the cluster CA issues one: test/e2e/multihost.test.ts), on an address of this machine.
    const up = start(['up', '--data-dir', data, '--listen', '127.0.0.1:0', '--registry', '10.1.2.3:5000']);
    assert.equal(await exited(up), 1);
    assert.match(up.output, /the registry cannot listen on 10\.1\.2\.3:5000: no interface of this machine has the address 10\.1\.2\.3\. Give one of its addresses, or 0\.0\.0\.0, with --registry HOST:PORT/);
    assert.equal(existsSync(join(data, 'engine')), false, 'no engine was started');
    const half = start(['up', '--data-dir', data, '--listen', '127.0.0.1:0', '--registry', '10.1.2.3:5000', '--registry-tls-cert', join(data, 'cert.pem')]);
    assert.equal(await exited(half), 1);
    assert.match(half.output, /give both --registry-tls-cert FILE and --registry-tls-key FILE/);
    const missing = start(['up', '--data-dir', data, '--listen', '127.0.0.1:0', '--registry', '10.1.2.3:5000', '--registry-tls-cert', join(data, 'cert.pem'), '--registry-tls-key', join(data, 'key.pem')]);
    assert.equal(await exited(missing), 1);
    assert.match(missing.output, /cannot read the registry's TLS certificate .*cert\.pem/);
    assert.equal(existsSync(join(data, 'engine')), false, 'no engine was started');
  });

  test('berth up runs the registry on --registry, and none with --registry=off', async () => {
    const engine = await testEngine();
    const [apiPort, regPort] = [await freePort(), await freePort()];
    const data = dir();
    const up = start(['up', '--data-dir', data, '--listen', `127.0.0.1:${apiPort}`, '--insecure-api', '--cluster-listen', '127.0.0.1:0', '--engine', engine.url, '--hostname', 'registry-up', '--registry', `127.0.0.1:${regPort}`, '--allow-outbound', '127.0.0.0/8']);
    await up.waitFor(/is up/);
    assert.match(up.output, new RegExp(`berth login 127\\.0\\.0\\.1:${regPort} -u admin`));
    assert.match(up.output, new RegExp(`podman login --tls-verify=false 127\\.0\\.0\\.1:${regPort} -u admin`));
    assert.equal((await fetch(`http://127.0.0.1:${regPort}/v2/`)).status, 401);
    assert.equal((await registryFetch(`http://127.0.0.1:${regPort}`, 'admin', TEST_ADMIN_PASSWORD, '/v2/library/up/tags/list')).status, 404, 'admin signs in with BERTH_ADMIN_PASSWORD');
    assert.ok(existsSync(join(data, 'registry', 'storage')), 'the registry keeps its data under the data dir');
    // Loopback is allowed, the manager API is not: berth up tells the registry where it is.
    const hook = (url: string): Promise<unknown> => registryAdmin(`http://127.0.0.1:${regPort}`, 'admin', TEST_ADMIN_PASSWORD, 'POST', '/projects/library/webhooks', { url, events: ['push'] });
    await hook('http://127.0.0.1:9/hook');
    await assert.rejects(hook(`http://127.0.0.1:${apiPort}/swarm/update?rotateWorkerToken=true`), /HTTP 400 .*127\.0\.0\.1:\d+ is the manager API/);

    // A push and a pull of a manifest are in the manager's audit log, by the account that made them.
    const reg = `http://127.0.0.1:${regPort}`;
    const config = '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}';
    assert.equal((await registryFetch(reg, 'admin', TEST_ADMIN_PASSWORD, `/v2/library/audited/blobs/uploads/?digest=${sha256(config)}`, { method: 'POST', body: config, headers: { 'Content-Type': 'application/octet-stream' } })).status, 201);
    const manifest = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length }, layers: [] });
    assert.equal((await registryFetch(reg, 'admin', TEST_ADMIN_PASSWORD, '/v2/library/audited/manifests/v1', { method: 'PUT', body: manifest, headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' } })).status, 201);
    assert.equal((await registryFetch(reg, 'admin', TEST_ADMIN_PASSWORD, '/v2/library/audited/manifests/v1')).status, 200);
    const audit = (await (await fetch(`http://127.0.0.1:${apiPort}/berth/v1/audit?action=repository`)).json()) as { User: string; Auth: string; Source: string; Action: string; Object: { Name: string; ID: string } }[];
    assert.deepEqual(
      audit.map((e) => [e.Action, e.User, e.Auth, e.Source, e.Object.Name, e.Object.ID]),
      [
        ['repository.pull', 'admin', 'registry-token', '127.0.0.1', 'library/audited:v1', sha256(manifest)],
        ['repository.push', 'admin', 'registry-token', '127.0.0.1', 'library/audited:v1', sha256(manifest)],
      ],
    );
    assert.equal(await up.stop(), 0);

    const off = start(['up', '--data-dir', data, '--listen', `127.0.0.1:${apiPort}`, '--insecure-api', '--cluster-listen', '127.0.0.1:0', '--engine', engine.url, '--hostname', 'registry-up', '--registry=off']);
    await off.waitFor(/is up/);
    assert.doesNotMatch(off.output, /Log in to its registry/);
    await assert.rejects(fetch(`http://127.0.0.1:${regPort}/v2/`));
    assert.equal(await off.stop(), 0);
  });
});
