// Tag retention and tag immutability with real clients: skopeo and podman, logged in as admin,
// push to the registry (run as `berth registry` runs it, with its own store), the admin API sets
// the project's rules, and the clients see immutable tags refused with the rule named.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../src/common/log.js';
import { Registry, type RegistryEvent, type RetentionRun } from '../../src/registry/index.js';
import { commandRunner } from '../helpers/run.js';
import { TEST_ENGINE_DIR, TEST_IMAGE, testEngine } from '../helpers/engine.js';
import { OciLayout } from '../helpers/oci-layout.js';
import { TEST_ADMIN_PASSWORD, basicAuth, registryAdmin, registryFetch } from '../helpers/registry-auth.js';
import { until } from '../helpers/wait.js';

const PROJECT = 'retention-it';

describe('tag retention and immutability with skopeo and podman', { timeout: 180_000 }, () => {
  let dir: string;
  let registry: Registry;
  let host: string;
  const images: string[] = [];
  const events: RegistryEvent[] = [];
  // The login goes to an auth file of this test's own (REGISTRY_AUTH_FILE, read by podman and skopeo).
  const env: NodeJS.ProcessEnv = { ...process.env, CONTAINERS_CONF: join(TEST_ENGINE_DIR, 'containers.conf') };

  const run = commandRunner(env);
  /** push copies made-up image `i` (distinct digests) to repository:tag. */
  const push = (i: number, ref: string): Promise<string> => run('skopeo', ['copy', '--dest-tls-verify=false', images[i]!, `docker://${host}/${ref}`]);
  // Tests read the admin API's bodies field by field.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> => {
    const res = await fetch(`http://${host}/berth/v1/registry/projects/${path}`, {
      method,
      headers: { Authorization: basicAuth('admin', TEST_ADMIN_PASSWORD), ...(body !== undefined && { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: await res.json() };
  };
  const http = (path: string, init?: RequestInit): Promise<Response> => registryFetch(registry.url, 'admin', TEST_ADMIN_PASSWORD, path, init);
  const tags = async (repository: string): Promise<string[]> => ((await (await http(`/v2/${repository}/tags/list`)).json()) as { tags: string[] }).tags;

  before(async () => {
    await testEngine();
    dir = await mkdtemp(join(tmpdir(), 'berth-registry-retention-'));
    registry = await Registry.start({ dataDir: join(dir, 'registry'), listen: '127.0.0.1:0', log: silentLogger(), adminPassword: TEST_ADMIN_PASSWORD });
    host = registry.address;
    registry.events.on((e) => events.push(e));
    await registryAdmin(registry.url, 'admin', TEST_ADMIN_PASSWORD, 'POST', '/projects', { Name: PROJECT, Public: true });
    env.REGISTRY_AUTH_FILE = join(dir, 'auth.json');
    await writeFile(env.REGISTRY_AUTH_FILE, '{}');
    await run('podman', ['login', '--tls-verify=false', '-u', 'admin', '-p', TEST_ADMIN_PASSWORD, host]);
    for (let i = 0; i < 3; i++) {
      const layout = new OciLayout(join(dir, `image-${i}`));
      await layout.finish('img', await layout.image('amd64', [{ hello: `image ${i}\n` }]));
      images.push(`oci:${layout.dir}:img`);
    }
  });

  after(async () => {
    await registry?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('an immutable tag: pushed once, re-pushed with the same digest, refused when moved or deleted (skopeo and podman see DENIED)', async () => {
    const put = await api('PUT', `${PROJECT}/immutability`, { Rules: [{ Repositories: 'app', Tags: 'v*' }] });
    assert.equal(put.status, 200, JSON.stringify(put.json));
    assert.deepEqual((await api('GET', `${PROJECT}/immutability`)).json, { Rules: [{ Repositories: 'app', Tags: 'v*' }] });

    await push(0, `${PROJECT}/app:v1`);
    await push(0, `${PROJECT}/app:v1`); // the same digest again: allowed
    await assert.rejects(push(1, `${PROJECT}/app:v1`), (err: Error) => {
      assert.match(err.message, /denied/i);
      // skopeo quotes the registry's message: the rule and the tag are named.
      assert.match(err.message, /denied: tag retention-it\/app:v1 is immutable \(immutability rule 1 \(repositories \\?"app\\?", tags \\?"v\*\\?"\) of project retention-it\): it cannot be moved/);
      return true;
    });
    await assert.rejects(run('podman', ['push', '--tls-verify=false', TEST_IMAGE, `${host}/${PROJECT}/app:v1`]), /denied: tag retention-it\/app:v1 is immutable/i);
    // skopeo deletes by digest, which would remove the tag.
    await assert.rejects(run('skopeo', ['delete', '--tls-verify=false', `docker://${host}/${PROJECT}/app:v1`]), /tag retention-it\/app:v1 is immutable .* cannot be deleted/);
    const untagged = await http(`/v2/${PROJECT}/app/manifests/v1`, { method: 'DELETE' });
    assert.equal(untagged.status, 403);
    assert.equal(((await untagged.json()) as { errors: { code: string }[] }).errors[0]!.code, 'DENIED');

    const v1 = JSON.parse(await run('skopeo', ['inspect', '--tls-verify=false', `docker://${host}/${PROJECT}/app:v1`])) as { Digest: string };
    const image0 = JSON.parse(await run('skopeo', ['inspect', images[0]!])) as { Digest: string };
    assert.equal(v1.Digest, image0.Digest, 'v1 still points at the first push');
    // Tags the rule does not match move freely; other repositories are not covered.
    await push(0, `${PROJECT}/app:latest`);
    await push(1, `${PROJECT}/app:latest`);
    await push(0, `${PROJECT}/other:v1`);
    await push(1, `${PROJECT}/other:v1`);
  });

  test('retention: a dry run lists what would go and deletes nothing; the real run deletes through the registry (events fire); immutable tags stay', async () => {
    for (const [i, tag] of ['t1', 't2', 't3', 't4', 'keep-me'].entries()) await push(i % 3, `${PROJECT}/web:${tag}`);
    const policy = {
      Rules: [
        { Repositories: '**', Tags: 't*', Keep: 'latestPushed', Count: 2 },
        { Repositories: 'web', Tags: 'keep-*', Keep: 'matching' },
      ],
    };
    const put = await api('PUT', `${PROJECT}/retention`, policy);
    assert.equal(put.status, 200, JSON.stringify(put.json));
    assert.deepEqual((await api('GET', `${PROJECT}/retention`)).json, policy);

    const dry = await api('POST', `${PROJECT}/retention/run?dryRun=true`);
    assert.equal(dry.status, 200, JSON.stringify(dry.json));
    const dryRun = dry.json as RetentionRun;
    assert.equal(dryRun.DryRun, true);
    const deleted = (r: RetentionRun): string[] => r.Deleted.map((d) => `${d.Repository}:${d.Tag}`).sort();
    // app: v1 (immutable) stays, latest is not "t*" so no rule keeps it; other: v1 is not kept either.
    assert.deepEqual(deleted(dryRun), [`${PROJECT}/app:latest`, `${PROJECT}/other:v1`, `${PROJECT}/web:t1`, `${PROJECT}/web:t2`]);
    assert.deepEqual(await tags(`${PROJECT}/web`), ['keep-me', 't1', 't2', 't3', 't4'], 'the dry run deleted nothing');

    events.length = 0;
    const real = (await api('POST', `${PROJECT}/retention/run`)).json as RetentionRun;
    assert.equal(real.Status, 'succeeded', JSON.stringify(real.Errors));
    assert.deepEqual(deleted(real), deleted(dryRun));
    assert.deepEqual(await tags(`${PROJECT}/web`), ['keep-me', 't3', 't4']);
    assert.deepEqual(await tags(`${PROJECT}/app`), ['v1']);
    const kept = real.Kept.find((k) => k.Tag === 'v1' && k.Repository === `${PROJECT}/app`)!;
    assert.match(kept.Reasons.join(), /immutability rule 1/);
    assert.deepEqual(
      events.filter((e) => e.action === 'delete' && e.target === 'tag').map((e) => `${e.repository}:${e.tag}`).sort(),
      deleted(real),
    );
    // The manifests stay, reachable by digest, for the garbage collector.
    const gone = real.Deleted.find((d) => d.Tag === 't1')!;
    assert.equal((await http(`/v2/${gone.Repository}/manifests/${gone.Digest}`, { method: 'HEAD' })).status, 200);

    const runs = (await api('GET', `${PROJECT}/retention/runs`)).json as RetentionRun[];
    assert.deepEqual(runs.map((r) => [r.Id, r.DryRun, r.Trigger]), [[real.Id, false, 'manual'], [dryRun.Id, true, 'manual']]);
  });

  test('retention on a cron schedule keeps tags pushed within the last days (push time = the tag\'s last write)', async () => {
    await push(0, `${PROJECT}/ci:old`);
    await push(1, `${PROJECT}/ci:fresh`);
    const old = new Date(Date.now() - 10 * 24 * 3600 * 1000);
    await utimes(join(dir, 'registry', 'storage', 'repositories', PROJECT, 'ci', '_manifests', 'tags', 'old'), old, old);
    const put = await api('PUT', `${PROJECT}/retention`, {
      Rules: [{ Repositories: 'ci', Tags: '**', Keep: 'pushedWithinDays', Days: 7 }],
      Schedule: { Cron: '* * * * * *' },
    });
    assert.equal(put.status, 200, JSON.stringify(put.json));
    // Runs come newest first and the schedule fires every second: the oldest scheduled run is the one that found `old`.
    const scheduled = await until(async () => ((await api('GET', `${PROJECT}/retention/runs`)).json as RetentionRun[]).filter((r) => r.Trigger === 'schedule').at(-1), 15_000, 'a scheduled run');
    assert.deepEqual(scheduled.Deleted.map((d) => d.Tag), ['old']);
    assert.deepEqual(await tags(`${PROJECT}/ci`), ['fresh']);
    await api('PUT', `${PROJECT}/retention`, { Rules: [] });
  });

  test('only the project\'s developers and higher change its rules (Harbor\'s): anonymous callers get 401, a user who is not a member 403', async () => {
    const url = `http://${host}/berth/v1/registry/projects/${PROJECT}/retention`;
    const rules = JSON.stringify({ Rules: [] });
    const put = (headers: Record<string, string>): Promise<Response> => fetch(url, { method: 'PUT', headers: { 'Content-Type': 'application/json', ...headers }, body: rules });
    assert.equal((await put({})).status, 401);
    await registryAdmin(registry.url, 'admin', TEST_ADMIN_PASSWORD, 'POST', '/users', { Name: 'retention-guest', Password: 'Guest-pass-1' });
    const guest = await put({ Authorization: basicAuth('retention-guest', 'Guest-pass-1') });
    assert.equal(guest.status, 403);
    assert.match(((await guest.json()) as { message: string }).message, /this needs a user with the developer role or higher, and retention-guest is not a member/);
  });

  test('bad rules and unknown projects are refused with the field or project named', async () => {
    const bad = await api('PUT', `${PROJECT}/retention`, { Rules: [{ Repositories: '**', Tags: '*', Keep: 'latestPushed', Count: -2 }] });
    assert.deepEqual(bad, { status: 400, json: { message: 'Rules[0].Count must be a whole number from 1 to 10000, such as 10' } });
    const badImm = await api('PUT', `${PROJECT}/immutability`, { Rules: [{ Repositories: '**' }] });
    assert.equal(badImm.status, 400);
    assert.match(badImm.json.message, /^Rules\[0\]\.Tags must be/);
    assert.deepEqual((await api('GET', `${PROJECT}/immutability`)).json.Rules.length, 1, 'nothing was half-applied');
    assert.equal((await api('POST', `${PROJECT}/retention/run?dryRun=maybe`)).json.message, 'dryRun must be true or false, not "maybe"');
    const missing = await api('GET', 'no-such-project/retention');
    assert.deepEqual(missing, { status: 404, json: { message: 'project no-such-project does not exist: list projects with berth project ls, or create it with berth project create no-such-project' } });
  });
});
