// Replication between real registries: two Berth registries and Debian's docker-registry
// (distribution 2.8), images pushed with skopeo from OCI layouts (a multi-layer image and a
// multi-arch index), copied by each trigger, checked with skopeo on the destination. Berth
// registries have token auth: endpoints carry credentials (admin, or a project robot), and the
// destination projects are created first, as for any push. All of them listen on loopback, which
// the outbound guard refuses: the registries are started allowing 127.0.0.0/8 (--allow-outbound),
// as an administrator replicating between registries on one host would.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { silentLogger } from '../../src/common/log.js';
import { CONNECTION_FAILED } from '../../src/common/outbound.js';
import { Registry } from '../../src/registry/index.js';
import type { ReplicationRun } from '../../src/types/index.js';
import { freePort } from '../helpers/berth.js';
import { TEST_ADMIN_PASSWORD, basicAuth, registryAdmin, registryFetch } from '../helpers/registry-auth.js';
import { OCI_INDEX, OciLayout } from '../helpers/oci-layout.js';
import { until } from '../helpers/wait.js';

const exec = promisify(execFile);
const CREDS = `admin:${TEST_ADMIN_PASSWORD}`;

const skopeo = async (...args: string[]): Promise<string> => {
  try {
    return (await exec('skopeo', args, { timeout: 60_000 })).stdout;
  } catch (err) {
    throw new Error(`skopeo ${args.join(' ')} failed: ${(err as { stderr?: string }).stderr ?? (err as Error).message}`);
  }
};
/** The digest skopeo reads for a reference (the manifest or index as stored). */
const digestOf = async (ref: string, ...opts: string[]): Promise<string> =>
  (JSON.parse(await skopeo('inspect', '--tls-verify=false', '--override-arch', 'amd64', ...opts, ref)) as { Digest: string }).Digest;
/** The digest a registry holds under repo:ref, read as admin (Berth) or anonymously (distribution), or null. */
const rawDigest = async (host: string, repo: string, ref: string, anonymous = false): Promise<string | null> => {
  const init: RequestInit = {
    method: 'HEAD',
    headers: { Accept: 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json' },
  };
  const res = anonymous ? await fetch(`http://${host}/v2/${repo}/manifests/${ref}`, init) : await registryFetch(`http://${host}`, 'admin', TEST_ADMIN_PASSWORD, `/v2/${repo}/manifests/${ref}`, init);
  if (res.status !== 200 && res.status !== 404) throw new Error(`HEAD ${host}/${repo}:${ref}: HTTP ${res.status}`);
  return res.status === 200 ? res.headers.get('docker-content-digest') : null;
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function admin(host: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`http://${host}/berth/v1/registry${path}`, {
    method,
    headers: { Authorization: basicAuth('admin', TEST_ADMIN_PASSWORD), ...(body !== undefined && { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function finishedRuns(host: string, policy: string, count: number): Promise<ReplicationRun[]> {
  let runs: ReplicationRun[] = [];
  await until(
    async () => {
      runs = (await admin(host, 'GET', `/replications/${policy}/runs`)).body as ReplicationRun[];
      return runs.length >= count && runs.every((r) => r.Status !== 'running');
    },
    30_000,
    `${count} finished runs of ${policy}`,
  );
  return runs;
}

describe('registry replication', { timeout: 240_000 }, () => {
  let dir: string;
  let a: Registry;
  let b: Registry;
  let amd64Digest: string;
  let indexDigest: string;
  let appLayout: string;
  let multiLayout: string;
  const start = (name: string, listen = '127.0.0.1:0'): Promise<Registry> =>
    Registry.start({ dataDir: join(dir, name), listen, log: silentLogger(), adminPassword: TEST_ADMIN_PASSWORD, replication: { attempts: 5, backoffMs: 250 }, allowOutbound: ['127.0.0.0/8'] });
  const push = (layout: string, ref: string, host: string, target: string): Promise<string> =>
    skopeo('copy', '--all', '--dest-tls-verify=false', '--dest-creds', CREDS, `oci:${layout}:${ref}`, `docker://${host}/${target}`);
  const createProjects = async (registry: Registry, ...names: string[]): Promise<void> => {
    for (const Name of names) await registryAdmin(registry.url, 'admin', TEST_ADMIN_PASSWORD, 'POST', '/projects', { Name });
  };
  /** Scopes of the token requests b's token service received. */
  const bTokenScopes: string[][] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-repl-'));
    [a, b] = [await start('a'), await start('b')];
    await createProjects(a, 'team', 'other', 'live', 'sched', 'cron');
    // Destinations of pushes to b; pull replication into b (pulled/, dist/) needs them too.
    await createProjects(b, 'team', 'other', 'mirror', 'sched', 'cron', 'pulled', 'dist');
    b.app.server.on('request', (req: { url?: string }) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/service/token') bTokenScopes.push(url.searchParams.getAll('scope'));
    });
    const app = new OciLayout(join(dir, 'app'));
    const image = await app.image('amd64', [{ hello: 'replicated\n' }, { 'etc/one': '1\n' }, { 'etc/two': '2\n' }]);
    await app.finish('app', image);
    appLayout = app.dir;
    amd64Digest = image.digest;
    const multi = new OciLayout(join(dir, 'multi'));
    const x = await multi.image('amd64', [{ hello: 'amd64\n' }, { 'etc/arch': 'amd64\n' }]);
    const y = await multi.image('arm64', [{ hello: 'arm64\n' }, { 'etc/arch': 'arm64\n' }]);
    const index = await multi.blob(OCI_INDEX, Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [x, y] })));
    await multi.finish('multi', index);
    multiLayout = multi.dir;
    indexDigest = index.digest;
    for (const [layout, ref, target] of [
      [appLayout, 'app', 'team/app:1'],
      [appLayout, 'app', 'team/app:2'],
      [multiLayout, 'multi', 'team/multi:1'],
      [appLayout, 'app', 'other/app:1'],
    ] as const) {
      await push(layout, ref, a.address, target);
    }
    assert.equal((await admin(a.address, 'POST', '/registries', { Name: 'b', URL: `http://${b.address}`, Username: 'admin', Password: TEST_ADMIN_PASSWORD })).status, 201);
  });

  after(async () => {
    await a?.stop();
    await b?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('a manual push run copies the selected tags (image and multi-arch index) and records each artifact; a second run finds them up to date', async () => {
    const heard: string[] = [];
    const unsubscribe = a.replicator.onRun((run, policy) => heard.push(`${policy.Spec.Name}:${run.Status}:${run.Artifacts.length}`));
    const created = await admin(a.address, 'POST', '/replications', { Name: 'team-ones', Direction: 'push', Endpoint: 'b', Repositories: ['team/**'], Tags: ['1'] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(created.body.Spec.Trigger, { Type: 'manual' });
    const started = await admin(a.address, 'POST', '/replications/team-ones/run');
    assert.equal(started.status, 201);
    assert.equal(started.body.Status, 'running');
    const [run] = await finishedRuns(a.address, 'team-ones', 1);
    assert.equal(run!.Status, 'succeeded', JSON.stringify(run));
    assert.deepEqual(
      run!.Artifacts.map((x) => [x.Repository, x.Tag, x.Status]),
      [
        ['team/app', '1', 'succeeded'],
        ['team/multi', '1', 'succeeded'],
      ],
    );
    assert.ok(run!.Artifacts.every((x) => x.Bytes > 0 && x.Attempts === 1));
    assert.deepEqual(heard, ['team-ones:succeeded:2'], 'the run hook (webhooks, metrics) heard the run end');
    unsubscribe();

    assert.equal(await rawDigest(b.address, 'team/app', '1'), amd64Digest);
    assert.equal(await rawDigest(b.address, 'team/multi', '1'), indexDigest);
    assert.equal(await digestOf(`docker://${b.address}/team/app:1`, '--creds', CREDS), amd64Digest, 'skopeo reads the copy with the same digest');
    const arm = JSON.parse(await skopeo('inspect', '--tls-verify=false', '--creds', CREDS, '--override-arch', 'arm64', `docker://${b.address}/team/multi:1`));
    assert.equal(arm.Architecture, 'arm64', 'every platform of the index was copied');
    assert.equal(await rawDigest(b.address, 'team/app', '2'), null, 'the tag filter left tag 2 behind');
    assert.equal(await rawDigest(b.address, 'other/app', '1'), null, 'the repository filter left other/ behind');

    await admin(a.address, 'POST', '/replications/team-ones/run');
    const [again] = await finishedRuns(a.address, 'team-ones', 2);
    assert.deepEqual(
      again!.Artifacts.map((x) => [x.Status, x.Bytes]),
      [
        ['skipped', 0],
        ['skipped', 0],
      ],
    );
  });

  test('an on-push policy copies a pushed tag at once, under the destination namespace', async () => {
    await admin(a.address, 'POST', '/replications', { Name: 'live', Direction: 'push', Endpoint: 'b', Repositories: ['live/*'], Tags: ['v*'], DestinationNamespace: 'mirror', Trigger: { Type: 'onPush' } });
    await push(appLayout, 'app', a.address, 'live/app:v1');
    await push(appLayout, 'app', a.address, 'live/app:dev');
    const [run] = await finishedRuns(a.address, 'live', 1);
    assert.equal(run!.Trigger, 'onPush');
    assert.deepEqual(
      run!.Artifacts.map((x) => [x.Repository, x.Tag, x.Destination, x.Status]),
      [['live/app', 'v1', 'mirror/live/app', 'succeeded']],
    );
    assert.equal(await rawDigest(b.address, 'mirror/live/app', 'v1'), amd64Digest);
    assert.equal(await rawDigest(b.address, 'mirror/live/app', 'dev'), null, 'dev does not match v*');
    assert.equal((await admin(a.address, 'GET', '/replications/live/runs')).body.length, 1, 'the dev push started no run');
  });

  test('a scheduled policy runs every interval until disabled', async () => {
    await push(appLayout, 'app', a.address, 'sched/app:1');
    const created = await admin(a.address, 'POST', '/replications', { Name: 'sched', Direction: 'push', Endpoint: 'b', Repositories: ['sched/**'], Trigger: { Type: 'schedule', IntervalSeconds: 1 } });
    const runs = await finishedRuns(a.address, 'sched', 2);
    assert.ok(runs.every((r) => r.Trigger === 'schedule'));
    assert.equal(await rawDigest(b.address, 'sched/app', '1'), amd64Digest);
    const disabled = await admin(a.address, 'PUT', `/replications/${created.body.ID}`, { Enabled: false });
    assert.equal(disabled.body.Spec.Enabled, false);
    await new Promise((r) => setTimeout(r, 1500));
    const count = (await admin(a.address, 'GET', '/replications/sched/runs')).body.length;
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal((await admin(a.address, 'GET', '/replications/sched/runs')).body.length, count, 'no runs after disabling');
  });

  test('a policy on a cron schedule runs at the times it names', async () => {
    await push(appLayout, 'app', a.address, 'cron/app:1');
    const created = await admin(a.address, 'POST', '/replications', { Name: 'cron', Direction: 'push', Endpoint: 'b', Repositories: ['cron/**'], Trigger: { Type: 'schedule', Cron: '* * * * * *' } });
    assert.deepEqual(created.body.Spec.Trigger, { Type: 'schedule', Cron: '* * * * * *' });
    const runs = await finishedRuns(a.address, 'cron', 2);
    assert.ok(runs.every((r) => r.Trigger === 'schedule' && r.Status === 'succeeded'), JSON.stringify(runs));
    assert.equal(await rawDigest(b.address, 'cron/app', '1'), amd64Digest);
    assert.equal((await admin(a.address, 'PUT', `/replications/${created.body.ID}`, { Enabled: false })).body.Spec.Enabled, false);
  });

  test('a pull policy copies from the remote into this registry', async () => {
    assert.equal((await admin(b.address, 'POST', '/registries', { Name: 'a', URL: `http://${a.address}`, Username: 'admin', Password: TEST_ADMIN_PASSWORD })).status, 201);
    await admin(b.address, 'POST', '/replications', { Name: 'from-a', Direction: 'pull', Endpoint: 'a', Repositories: ['team/app', 'other/app'], Tags: ['2', '1'], DestinationNamespace: 'pulled' });
    await admin(b.address, 'POST', '/replications/from-a/run');
    const [run] = await finishedRuns(b.address, 'from-a', 1);
    assert.equal(run!.Status, 'succeeded', JSON.stringify(run));
    assert.deepEqual(
      run!.Artifacts.map((x) => [x.Destination, x.Tag, x.Bytes > 0]),
      [
        ['pulled/other/app', '1', true],
        ['pulled/team/app', '1', false],
        ['pulled/team/app', '2', false],
      ],
      'blobs sent for other/app were mounted into team/app, not sent again',
    );
    assert.equal(await rawDigest(b.address, 'pulled/team/app', '2'), amd64Digest);

    // Nobody pushes into a project that does not exist, replication included.
    await admin(b.address, 'POST', '/replications', { Name: 'into-ghost', Direction: 'pull', Endpoint: 'a', Repositories: ['team/app'], Tags: ['1'], DestinationNamespace: 'ghost' });
    await admin(b.address, 'POST', '/replications/into-ghost/run');
    const [refused] = await finishedRuns(b.address, 'into-ghost', 1);
    assert.equal(refused!.Status, 'failed');
    assert.deepEqual(
      refused!.Artifacts.map((x) => [x.Destination, x.Attempts, x.Error]),
      [['ghost/team/app', 1, 'project ghost does not exist in this registry: create it first (berth project create ghost)']],
    );
  });

  test('an artifact is retried with backoff while the destination is down and copied once it is back', async () => {
    const port = await freePort();
    let c = await start('c', `127.0.0.1:${port}`);
    await createProjects(c, 'team');
    await c.stop();
    await admin(a.address, 'POST', '/registries', { Name: 'c', URL: `http://127.0.0.1:${port}`, Username: 'admin', Password: TEST_ADMIN_PASSWORD });
    await admin(a.address, 'POST', '/replications', { Name: 'to-c', Direction: 'push', Endpoint: 'c', Repositories: ['team/app'], Tags: ['1'] });
    await admin(a.address, 'POST', '/replications/to-c/run');
    await new Promise((r) => setTimeout(r, 400));
    c = await start('c', `127.0.0.1:${port}`);
    try {
      const [run] = await finishedRuns(a.address, 'to-c', 1);
      assert.equal(run!.Status, 'succeeded', JSON.stringify(run));
      assert.ok(run!.Artifacts[0]!.Attempts >= 2, `retried: ${run!.Artifacts[0]!.Attempts} attempts`);
      assert.equal(await rawDigest(c.address, 'team/app', '1'), amd64Digest);

      await c.stop();
      await admin(a.address, 'POST', '/replications/to-c/run');
      const [failed] = await finishedRuns(a.address, 'to-c', 2);
      assert.equal(failed!.Status, 'failed');
      assert.equal(failed!.Artifacts[0]!.Attempts, 5);
      assert.equal(failed!.Artifacts[0]!.Error!, `127.0.0.1:${port}: the manifest team/app:1 failed: ${CONNECTION_FAILED}`, 'no more than that the connection failed');
    } finally {
      await c.stop().catch(() => undefined);
    }
  });

  test('an endpoint is used with the credentials of a project robot; a wrong secret fails the ping and the run, naming the registry', async () => {
    await createProjects(b, 'guarded');
    const robot = (await registryAdmin(b.url, 'admin', TEST_ADMIN_PASSWORD, 'POST', '/robots', { Name: 'repl', Project: 'guarded', Actions: ['pull', 'push'] })) as { Name: string; Secret: string };
    assert.equal(robot.Name, 'robot$guarded+repl');
    bTokenScopes.length = 0;
    await admin(a.address, 'POST', '/registries', { Name: 'guarded', URL: b.url, Username: robot.Name, Password: robot.Secret });
    assert.equal((await admin(a.address, 'POST', '/registries/guarded/ping')).status, 200);
    await admin(a.address, 'POST', '/replications', { Name: 'to-guarded', Direction: 'push', Endpoint: 'guarded', Repositories: ['team/app'], Tags: ['2'], DestinationNamespace: 'guarded' });
    await admin(a.address, 'POST', '/replications/to-guarded/run');
    const [run] = await finishedRuns(a.address, 'to-guarded', 1);
    assert.equal(run!.Status, 'succeeded', JSON.stringify(run));
    assert.equal(await rawDigest(b.address, 'guarded/team/app', '2'), amd64Digest);
    assert.ok(bTokenScopes.some((scopes) => scopes.includes('repository:guarded/team/app:pull,push')), `a push token was asked for: ${JSON.stringify(bTokenScopes)}`);

    await admin(a.address, 'PUT', '/registries/guarded', { Password: 'wrong' });
    const ping = await admin(a.address, 'POST', '/registries/guarded/ping');
    assert.equal(ping.status, 400);
    assert.match(ping.body.message, /the registry guarded .* cannot be used: .*unauthorized/);
    await admin(a.address, 'PUT', '/replications/to-guarded', { Tags: ['1'] });
    await admin(a.address, 'POST', '/replications/to-guarded/run');
    const [failed] = await finishedRuns(a.address, 'to-guarded', 2);
    assert.equal(failed!.Status, 'failed');
    assert.equal(failed!.Artifacts[0]!.Attempts, 1, 'a refusal is not retried');
    assert.match(failed!.Artifacts[0]!.Error!, new RegExp(`^${b.address.replace(/\./g, '\\.')}: unauthorized for .*refused the credentials of robot\\$guarded\\+repl`));
  });

  test("Debian's docker-registry (distribution 2.8) receives a push replication and serves a pull one through its catalog", async () => {
    const port = await freePort();
    const root = join(dir, 'distribution');
    const config = join(dir, 'distribution.yml');
    await writeFile(config, `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${root}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n`);
    const proc: ChildProcess = spawn('docker-registry', ['serve', config], { stdio: 'ignore' });
    try {
      await until(async () => (await fetch(`http://127.0.0.1:${port}/v2/`).catch(() => undefined))?.status === 200, 15_000, 'docker-registry');
      await admin(a.address, 'POST', '/registries', { Name: 'distribution', URL: `http://127.0.0.1:${port}` });
      const ping = await admin(a.address, 'POST', '/registries/distribution/ping');
      assert.equal(ping.status, 200, JSON.stringify(ping.body));
      await admin(a.address, 'POST', '/replications', { Name: 'to-distribution', Direction: 'push', Endpoint: 'distribution', Repositories: ['team/**'], Tags: ['1'] });
      await admin(a.address, 'POST', '/replications/to-distribution/run');
      const [run] = await finishedRuns(a.address, 'to-distribution', 1);
      assert.equal(run!.Status, 'succeeded', JSON.stringify(run));
      assert.equal(await rawDigest(`127.0.0.1:${port}`, 'team/multi', '1', true), indexDigest);
      assert.equal(await digestOf(`docker://127.0.0.1:${port}/team/app:1`), amd64Digest);

      // Globs in a pull policy list the remote's repositories through /v2/_catalog.
      await admin(b.address, 'POST', '/registries', { Name: 'distribution', URL: `http://127.0.0.1:${port}` });
      await admin(b.address, 'POST', '/replications', { Name: 'from-distribution', Direction: 'pull', Endpoint: 'distribution', Repositories: ['team/m*'], DestinationNamespace: 'dist' });
      await admin(b.address, 'POST', '/replications/from-distribution/run');
      const [pulled] = await finishedRuns(b.address, 'from-distribution', 1);
      assert.deepEqual(pulled!.Artifacts.map((x) => [x.Destination, x.Tag, x.Status]), [['dist/team/multi', '1', 'succeeded']]);
      assert.equal(await rawDigest(b.address, 'dist/team/multi', '1'), indexDigest);
    } finally {
      proc.kill();
    }
  });

  test('the admin API: passwords are never returned, bad input names the field, endpoints in use cannot be deleted, history is capped', async () => {
    // An address, not a name: setting an endpoint resolves its host, and a test sends nothing off loopback.
    const withPassword = await admin(a.address, 'POST', '/registries', { Name: 'secret-one', URL: 'https://10.1.2.3:5000', Username: 'bob', Password: 's3cret' });
    assert.equal(withPassword.status, 201);
    assert.equal(withPassword.body.Spec.HasPassword, true);
    const listed = JSON.stringify((await admin(a.address, 'GET', '/registries')).body);
    assert.ok(!listed.includes('s3cret'), listed);
    for (const file of ['registry.db', 'registry.db-wal']) {
      const bytes = await readFile(join(dir, 'a', file)).catch(() => Buffer.alloc(0));
      assert.ok(!bytes.includes('s3cret'), `${file} holds the password sealed, never in the clear`);
    }
    const edited = await admin(a.address, 'PUT', '/registries/secret-one', { Insecure: true });
    assert.equal(edited.body.Spec.HasPassword, true, 'an edit without Password keeps it');

    const bad = [
      [{ Name: 'x', URL: 'ftp://h' }, /URL must be http\(s\):\/\/HOST\[:PORT\]/],
      [{ Name: '-x', URL: 'http://h' }, /Name must be/],
    ] as const;
    for (const [body, message] of bad) {
      const res = await admin(a.address, 'POST', '/registries', body);
      assert.equal(res.status, 400);
      assert.match(res.body.message, message);
    }
    const badPolicies = [
      [{ Name: 'p', Direction: 'sideways', Endpoint: 'b' }, /Direction must be "push"/],
      [{ Name: 'p', Direction: 'push', Endpoint: 'nope' }, /Endpoint nope does not exist/],
      [{ Name: 'p', Direction: 'pull', Endpoint: 'b', Trigger: { Type: 'onPush' } }, /onPush is for push policies/],
      [{ Name: 'p', Direction: 'push', Endpoint: 'b', Trigger: { Type: 'schedule' } }, /^Trigger must have one of IntervalSeconds .* or Cron /],
      [{ Name: 'p', Direction: 'push', Endpoint: 'b', Trigger: { Type: 'schedule', Cron: 'nightly' } }, /^Trigger\.Cron "nightly" is not a cron expression/],
      [{ Name: 'p', Direction: 'push', Endpoint: 'b', Tags: 'v1' }, /Tags must be a list/],
    ] as const;
    for (const [body, message] of badPolicies) {
      const res = await admin(a.address, 'POST', '/replications', body);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.match(res.body.message, message);
    }
    assert.equal((await admin(a.address, 'GET', '/replications')).body.some((p: { Spec: { Name: string } }) => p.Spec.Name === 'p'), false, 'nothing half-created');

    const inUse = await admin(a.address, 'DELETE', '/registries/b');
    assert.equal(inUse.status, 400);
    assert.match(inUse.body.message, /used by replication policies .*team-ones/);
    const unreachable = await admin(a.address, 'POST', '/registries/ping', { Name: 'nowhere', URL: `http://127.0.0.1:${await freePort()}` });
    assert.equal(unreachable.status, 400);
    assert.match(unreachable.body.message, /the registry nowhere .* cannot be used: .*: connection failed: no HTTP answer/);

    // The history keeps the last 20 runs of a policy.
    for (let i = 0; i < 21; i++) await admin(a.address, 'POST', '/replications/team-ones/run');
    const runs = await finishedRuns(a.address, 'team-ones', 20);
    assert.equal(runs.length, 20);
  });
});
