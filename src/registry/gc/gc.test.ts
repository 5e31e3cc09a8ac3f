// Online garbage collection over the real filesystem driver, with a real server taking pushes
// while it runs. "Old" content is made by moving file times back (the grace period is about age),
// and races are made deterministic by pausing the collector's driver at one call.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../common/log.js';
import { openTestStore } from '../../../test/helpers/store.js';
import '../kinds.js';
import { RegistryEvents, type RegistryEvent } from '../events.js';
import { FilesystemDriver } from '../storage/filesystem-driver.js';
import { GarbageCollector, type GcRun } from './gc.js';
import { gcRoutes } from './gc-routes.js';
import { OCI_INDEX, OCI_MANIFEST } from '../distribution/manifests.js';
import type { StorageDriver } from '../storage/storage-driver.js';
import { SweepFence } from '../storage/sweep-fence.js';
import { desc, pushBlob, pushImage, req, sha256, startRegistry, type Image, type Res, type TestRegistry } from '../distribution/test-helpers.js';

const HOUR = 60 * 60 * 1000;

/** ageStorage moves every stored file's time `ms` into the past, and the fence's record of recent uses with it. */
async function ageStorage(reg: TestRegistry, fence: SweepFence, ms = 2 * HOUR): Promise<void> {
  fence.forget(Date.now() + 1);
  const when = new Date(Date.now() - ms);
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.name === '.tmp') continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.name === 'info' && dir.includes('/uploads/')) {
        const info = JSON.parse(await readFile(path, 'utf8')) as { startedAt: string };
        await writeFile(path, JSON.stringify({ ...info, startedAt: when.toISOString() }));
      }
      if (entry.isFile()) await utimes(path, when, when);
    }
  };
  await walk(join(reg.dir, 'storage'));
}

const exists = async (reg: TestRegistry, path: string): Promise<boolean> => (await stat(join(reg.dir, 'storage', path)).catch(() => undefined)) !== undefined;

/** A gate the collector's driver stops at, the first time `when` matches a call. */
function pausing(driver: StorageDriver, when: (method: string, path: string) => boolean): { driver: StorageDriver; reached: Promise<void>; release: () => void } {
  let reached!: () => void;
  let release!: () => void;
  const reachedP = new Promise<void>((r) => (reached = r));
  const released = new Promise<void>((r) => (release = r));
  let fired = false;
  const wrapped = new Proxy(driver, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        if (!fired && when(String(prop), String(args[0]))) {
          fired = true;
          reached();
          await released;
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { driver: wrapped, reached: reachedP, release };
}

const manifestOf = (config: Buffer, layers: Buffer[]): Buffer =>
  Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: desc('application/vnd.oci.image.config.v1+json', config),
      layers: layers.map((l) => desc('application/vnd.oci.image.layer.v1.tar', l)),
    }),
  );

describe('garbage collection', () => {
  let reg: TestRegistry;
  let fence: SweepFence;
  let gc: GarbageCollector;
  const deletes: RegistryEvent[] = [];

  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-registry-gc-'));
    fence = new SweepFence();
    const events = new RegistryEvents(silentLogger());
    events.on((e) => e.action === 'delete' && deletes.push(e));
    gc = new GarbageCollector(await FilesystemDriver.open(join(dir, 'storage')), fence, silentLogger(), {}, events);
    reg = await startRegistry({ fence, store: await openTestStore(), adminRoutes: [gcRoutes(gc)], events }, dir);
  });
  after(async () => {
    await reg.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('sweeps old unreferenced blobs, their links and emptied repositories; keeps what manifests reference; a dry run only reports', async () => {
    const kept = await pushImage(reg, 'gc/app', 'v1');
    const orphan = await pushBlob(reg, 'gc/app', 'orphan blob');
    const gone = await pushImage(reg, 'gc/other', 'v1', { seed: 'gone' });
    assert.equal((await req(reg, 'DELETE', `/v2/gc/other/manifests/${gone.digest}`)).status, 202);
    const lonely = await pushBlob(reg, 'gc/lonely', 'lonely blob');
    await ageStorage(reg, fence);
    const freed = ['orphan blob', 'lonely blob', gone.manifest, gone.config, ...gone.layers].reduce((n, b) => n + Buffer.byteLength(b), 0);

    const dry = await req(reg, 'POST', '/berth/v1/registry/gc', { body: '{"dryRun":true}', headers: { 'Content-Type': 'application/json' } });
    assert.equal(dry.status, 200, dry.body.toString());
    const dryRun = dry.json() as GcRun;
    assert.equal(dryRun.dryRun, true);
    assert.equal(dryRun.blobsDeleted, 6);
    assert.equal(dryRun.bytesFreed, freed);
    assert.equal(dryRun.linksDeleted, 5); // orphan in gc/app, lonely, gone's config and two layers
    assert.equal((await req(reg, 'HEAD', `/v2/gc/app/blobs/${orphan}`)).status, 200, 'a dry run deletes nothing');

    const run = (await req(reg, 'POST', '/berth/v1/registry/gc')).json() as GcRun;
    assert.equal(run.status, 'succeeded');
    assert.equal(run.blobsDeleted, 6);
    assert.equal(run.bytesFreed, freed);
    assert.equal(run.linksDeleted, 5);
    assert.equal(run.repositoriesRemoved, 2);
    assert.equal((await req(reg, 'HEAD', `/v2/gc/app/blobs/${orphan}`)).status, 404);
    assert.equal((await req(reg, 'HEAD', `/v2/gc/lonely/blobs/${lonely}`)).status, 404);
    assert.equal(await exists(reg, 'repositories/gc/lonely'), false);
    assert.equal(await exists(reg, 'repositories/gc/other'), false);
    assert.equal(await exists(reg, `blobs/sha256/${sha256(gone.config).slice(7, 9)}/${sha256(gone.config).slice(7)}`), false);
    // Everything the remaining manifest references is intact.
    assert.equal((await req(reg, 'GET', '/v2/gc/app/manifests/v1')).status, 200);
    for (const blob of [kept.config, ...kept.layers]) {
      const got = await req(reg, 'GET', `/v2/gc/app/blobs/${sha256(blob)}`);
      assert.deepEqual(got.body, blob);
    }
    const again = await gc.run();
    assert.equal(again.blobsDeleted + again.linksDeleted + again.uploadsDeleted, 0, 'a second run finds nothing');

    const history = (await req(reg, 'GET', '/berth/v1/registry/gc')).json();
    assert.equal(history.graceSeconds, 3600);
    assert.deepEqual([history.intervalSeconds, history.cron], [0, null], 'no schedule');
    assert.equal(history.running, false);
    assert.deepEqual(
      history.runs.slice(0, 3).map((r: GcRun) => [r.id, r.dryRun, r.blobsDeleted]),
      [
        [again.id, false, 0],
        [run.id, false, 6],
        [dryRun.id, true, 6],
      ],
    );
    const bad = await req(reg, 'POST', '/berth/v1/registry/gc', { body: '{"dryRun":"yes"}', headers: { 'Content-Type': 'application/json' } });
    assert.equal(bad.status, 400);
    assert.match(bad.json().message, /dryRun must be true or false/);
  });

  test('keeps blobs younger than the grace period and old content linked again just now (a push whose manifest has not arrived)', async () => {
    const old = await pushBlob(reg, 'young/a', 'old content pushed again');
    await ageStorage(reg, fence);
    // The same content pushed to another repository: the content stays old, the new link is young.
    await pushBlob(reg, 'young/b', 'old content pushed again');
    const fresh = await pushBlob(reg, 'young/c', 'fresh content');
    await gc.run();
    assert.equal((await req(reg, 'HEAD', `/v2/young/b/blobs/${old}`)).status, 200);
    assert.equal((await req(reg, 'HEAD', `/v2/young/c/blobs/${fresh}`)).status, 200);
  });

  test('a manifest pushed between mark and sweep keeps the old blobs it references', async () => {
    const config = Buffer.from('{"race":"mark"}');
    const layer = Buffer.from('race layer, mark');
    for (const b of [config, layer]) await pushBlob(reg, 'race/mark', b);
    await ageStorage(reg, fence);
    const gate = pausing(reg.driver, (method, path) => method === 'list' && path === 'blobs');
    const paused = new GarbageCollector(gate.driver, fence, silentLogger());
    const running = paused.run();
    await gate.reached; // marked: nothing references the two blobs yet
    const put = await req(reg, 'PUT', '/v2/race/mark/manifests/v1', { body: manifestOf(config, [layer]), headers: { 'Content-Type': OCI_MANIFEST } });
    assert.equal(put.status, 201);
    gate.release();
    assert.equal((await running).status, 'succeeded');
    for (const b of [config, layer]) assert.equal((await req(reg, 'GET', `/v2/race/mark/blobs/${sha256(b)}`)).status, 200);
  });

  test('a manifest push that arrives while its blob is being deleted waits, then is told the blob is unknown', async () => {
    const config = Buffer.from('{"race":"sweep"}');
    await pushBlob(reg, 'race/sweep', config);
    await ageStorage(reg, fence);
    const dir = `blobs/sha256/${sha256(config).slice(7, 9)}/${sha256(config).slice(7)}`;
    const gate = pausing(reg.driver, (method, path) => method === 'delete' && path === dir);
    const paused = new GarbageCollector(gate.driver, fence, silentLogger());
    const running = paused.run();
    await gate.reached;
    let answered = false;
    const put = req(reg, 'PUT', '/v2/race/sweep/manifests/v1', { body: manifestOf(config, []), headers: { 'Content-Type': OCI_MANIFEST } }).finally(
      () => (answered = true),
    );
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(answered, false, 'the push waits for the deletion');
    gate.release();
    assert.equal((await running).blobsDeleted, 1);
    const res = await put;
    assert.equal(res.status, 400);
    assert.deepEqual(res.codes(), ['MANIFEST_BLOB_UNKNOWN']);
    // Pushing the blob again makes the manifest push work.
    await pushBlob(reg, 'race/sweep', config);
    const retry = await req(reg, 'PUT', '/v2/race/sweep/manifests/v1', { body: manifestOf(config, []), headers: { 'Content-Type': OCI_MANIFEST } });
    assert.equal(retry.status, 201);
  });

  test('removes abandoned upload sessions older than the grace period and keeps one in progress', async () => {
    const abandoned = await req(reg, 'POST', '/v2/uploads/app/blobs/uploads/');
    await req(reg, 'PATCH', abandoned.headers.get('location')!, { body: 'x'.repeat(1000) });
    await ageStorage(reg, fence);
    const active = await req(reg, 'POST', '/v2/uploads/app/blobs/uploads/');
    await req(reg, 'PATCH', active.headers.get('location')!, { body: 'half' });
    const run = await gc.run();
    assert.equal(run.uploadsDeleted, 1);
    assert.ok(run.bytesFreed >= 1000);
    assert.equal((await req(reg, 'GET', abandoned.headers.get('location')!)).status, 404);
    const done = await req(reg, 'PUT', `${active.headers.get('location')!}?digest=${sha256('half and done')}`, { body: ' and done' });
    assert.equal(done.status, 201);
  });

  test('one run at a time; a manifest that cannot be read fails the run before anything is deleted', async () => {
    const first = gc.run();
    await assert.rejects(gc.run(), /garbage collection run \d+ \(started .*\) is still going: wait for it to finish/);
    await first;

    const img = await pushImage(reg, 'broken/app', 'v1', { seed: 'broken' });
    const orphan = await pushBlob(reg, 'broken/app', 'orphan next to a broken manifest');
    await ageStorage(reg, fence);
    const file = join(reg.dir, 'storage', 'blobs', 'sha256', img.digest.slice(7, 9), img.digest.slice(7), 'data');
    await writeFile(file, 'not a manifest');
    try {
      await assert.rejects(gc.run(), new RegExp(`manifest ${img.digest} in broken/app cannot be read`));
      const [last] = await gc.history();
      assert.equal(last!.status, 'failed');
      assert.match(last!.error!, /cannot be read/);
      // Through the API the failed run is the answer, with why it failed.
      const res = await req(reg, 'POST', '/berth/v1/registry/gc');
      assert.equal(res.status, 200);
      assert.deepEqual([res.json().id, res.json().status], [last!.id + 1, 'failed']);
      assert.match(res.json().error, /cannot be read/);
      assert.equal((await req(reg, 'HEAD', `/v2/broken/app/blobs/${orphan}`)).status, 200, 'nothing was deleted');
    } finally {
      await writeFile(file, img.manifest);
    }
  });

  test('pushes running alongside back-to-back collections all land complete', async () => {
    // Old content that every push mounts or uploads again while the collector may be sweeping it.
    const shared = Array.from({ length: 4 }, (_, i) => Buffer.from(`shared layer ${i}`));
    for (const b of shared) await pushBlob(reg, 'busy/seed', b);
    await ageStorage(reg, fence);
    let stop = false;
    const runs: GcRun[] = [];
    const collector = (async () => {
      while (!stop) runs.push(await gc.run());
    })();
    const push = async (i: number): Promise<string> => {
      const name = `busy/app${i % 5}`;
      const config = Buffer.from(`{"push":${i}}`);
      const layers = [shared[i % 4]!, Buffer.from(`own layer ${i}`)];
      for (const b of [config, ...layers]) {
        const mount = await req(reg, 'POST', `/v2/${name}/blobs/uploads/?mount=${sha256(b)}&from=busy/seed`);
        if (mount.status === 201) continue;
        const put = await req(reg, 'PUT', `${mount.headers.get('location')!}?digest=${sha256(b)}`, { body: b });
        assert.equal(put.status, 201);
      }
      const manifest = manifestOf(config, layers);
      const res = await req(reg, 'PUT', `/v2/${name}/manifests/t${i}`, { body: manifest, headers: { 'Content-Type': OCI_MANIFEST } });
      assert.equal(res.status, 201, res.body.toString());
      return name;
    };
    const names: string[] = [];
    for (let wave = 0; wave < 4; wave++) names.push(...(await Promise.all(Array.from({ length: 6 }, (_, i) => push(wave * 6 + i)))));
    stop = true;
    await collector;
    assert.ok(runs.length >= 2, `the collector ran ${runs.length} times`);
    assert.ok(runs.some((r) => r.blobsDeleted > 0 || r.linksDeleted > 0), 'the old seed links were swept meanwhile');
    for (const [i, name] of names.entries()) {
      const m = await req(reg, 'GET', `/v2/${name}/manifests/t${i}`);
      assert.equal(m.status, 200);
      for (const d of [m.json().config, ...m.json().layers] as { digest: string }[]) {
        assert.equal((await req(reg, 'GET', `/v2/${name}/blobs/${d.digest}`)).status, 200, `${name} ${d.digest}`);
      }
    }
  });

  test('deleteUntagged: old manifests no tag keeps go with their blobs; index entries, referrers of kept ones and young pushes stay', async () => {
    const repo = 'untagged/app';
    const gcPost = (body: unknown): Promise<Res> => req(reg, 'POST', '/berth/v1/registry/gc', { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
    const sig = (subject: Buffer, seed: string): Promise<Image> =>
      pushImage(reg, repo, undefined, { seed, subject: desc(OCI_MANIFEST, subject), artifactType: 'application/example.signature' });
    const pushIndex = async (ref: string | undefined, entries: Image[]): Promise<Buffer> => {
      const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: entries.map((e) => desc(OCI_MANIFEST, e.manifest)) }));
      const put = await req(reg, 'PUT', `/v2/${repo}/manifests/${ref ?? sha256(index)}`, { body: index, headers: { 'Content-Type': OCI_INDEX } });
      assert.equal(put.status, 201);
      return index;
    };
    const replaced = await pushImage(reg, repo, 'v1', { seed: 'untagged v1' });
    const current = await pushImage(reg, repo, 'v1', { seed: 'untagged v1, pushed again' });
    const byDigest = await pushImage(reg, repo, undefined, { seed: 'untagged by digest' });
    const oldSignature = await sig(replaced.manifest, 'signature of the replaced v1');
    const keptSignature = await sig(current.manifest, 'signature of the current v1');
    const [amd64, arm64, lone] = await Promise.all(['amd64', 'arm64', 'lone'].map((seed) => pushImage(reg, repo, undefined, { seed: `untagged ${seed}` })));
    const multi = await pushIndex('multi', [amd64!, arm64!]);
    const untaggedIndex = await pushIndex(undefined, [lone!]);
    await ageStorage(reg, fence);
    const young = await pushImage(reg, repo, undefined, { seed: 'untagged, just pushed' });
    const gone = [replaced.manifest, byDigest.manifest, oldSignature.manifest, untaggedIndex, lone!.manifest].map((m) => sha256(m));
    const stays = [current.manifest, keptSignature.manifest, amd64!.manifest, arm64!.manifest, multi, young.manifest].map((m) => sha256(m));
    const status = async (digest: string): Promise<number> => (await req(reg, 'HEAD', `/v2/${repo}/manifests/${digest}`)).status;

    const plain = await gc.run();
    assert.equal(plain.manifestsDeleted, 0, 'off unless asked');
    assert.equal(await status(gone[0]!), 200);

    const dry = (await gcPost({ dryRun: true, deleteUntagged: true })).json() as GcRun;
    assert.equal(dry.deleteUntagged, true);
    assert.equal(dry.manifestsDeleted, gone.length);
    for (const digest of gone) assert.equal(await status(digest), 200, 'a dry run deletes nothing');

    deletes.length = 0;
    const run = (await gcPost({ deleteUntagged: true })).json() as GcRun;
    assert.equal(run.status, 'succeeded');
    assert.equal(run.manifestsDeleted, gone.length);
    assert.equal(run.bytesFreed, dry.bytesFreed, 'the dry run said what the run freed');
    assert.deepEqual(deletes.map((e) => [e.target, e.repository, e.digest]).sort(), gone.map((d) => ['manifest', repo, d]).sort(), 'each deletion is announced');
    for (const digest of gone) assert.equal(await status(digest), 404, digest);
    for (const digest of stays) assert.equal(await status(digest), 200, digest);
    // What only deleted manifests referenced is freed; what kept ones reference is whole.
    for (const blob of [replaced.config, ...replaced.layers, ...lone!.layers]) assert.equal((await req(reg, 'HEAD', `/v2/${repo}/blobs/${sha256(blob)}`)).status, 404);
    for (const blob of [current.config, ...current.layers, ...amd64!.layers]) assert.equal((await req(reg, 'HEAD', `/v2/${repo}/blobs/${sha256(blob)}`)).status, 200);
    const referrers = (await req(reg, 'GET', `/v2/${repo}/referrers/${sha256(current.manifest)}`)).json() as { manifests: { digest: string }[] };
    assert.deepEqual(referrers.manifests.map((m) => m.digest), [sha256(keptSignature.manifest)]);
    assert.equal((await req(reg, 'GET', `/v2/${repo}/referrers/${sha256(replaced.manifest)}`)).json().manifests.length, 0);

    const again = await gc.run({ deleteUntagged: true });
    assert.equal(again.manifestsDeleted, 0, 'a second run finds nothing');
    const typo = await gcPost({ untagged: true });
    assert.equal(typo.status, 400);
    assert.match(typo.json().message, /unknown field "untagged": a run takes dryRun, deleteUntagged, wait/);
    const bad = await gcPost({ deleteUntagged: 'yes' });
    assert.equal(bad.status, 400);
    assert.match(bad.json().message, /deleteUntagged must be true or false/);
  });

  test('deleteUntagged: an untagged manifest tagged again while it is being deleted comes back whole, with its blobs', async () => {
    const repo = 'untagged/race';
    const image = await pushImage(reg, repo, undefined, { seed: 'tagged while deleted' });
    await ageStorage(reg, fence);
    const gate = pausing(reg.driver, (method, path) => method === 'delete' && path === `repositories/${repo}/_manifests/revisions/sha256/${image.digest.slice(7)}`);
    const paused = new GarbageCollector(gate.driver, fence, silentLogger());
    const running = paused.run({ deleteUntagged: true });
    await gate.reached;
    let answered = false;
    const put = req(reg, 'PUT', `/v2/${repo}/manifests/v1`, { body: image.manifest, headers: { 'Content-Type': OCI_MANIFEST } }).finally(() => (answered = true));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(answered, false, 'the push waits for the deletion');
    gate.release();
    assert.equal((await running).status, 'succeeded');
    assert.equal((await put).status, 201);
    assert.equal((await req(reg, 'GET', `/v2/${repo}/manifests/v1`)).status, 200);
    for (const blob of [image.config, ...image.layers]) assert.equal((await req(reg, 'GET', `/v2/${repo}/blobs/${sha256(blob)}`)).status, 200);
  });

  test('the history outlives the process: runs are kept in storage, ids go on, and a run a crash interrupted shows as failed', async () => {
    const done = await gc.run({ dryRun: true });
    // A process killed during its run left the record it wrote at the start.
    const crashed: GcRun = { ...done, id: done.id + 1, status: 'running', finishedAt: undefined };
    await reg.driver.putContent(`gc-runs/${String(crashed.id).padStart(10, '0')}`, Buffer.from(JSON.stringify(crashed)));
    const restarted = new GarbageCollector(reg.driver, new SweepFence(), silentLogger());
    const [interrupted, previous] = await restarted.history();
    assert.deepEqual([interrupted!.id, interrupted!.status, interrupted!.error], [crashed.id, 'failed', 'interrupted: the registry stopped during the run']);
    assert.deepEqual(previous, done);
    const next = await restarted.run({ dryRun: true });
    assert.equal(next.id, crashed.id + 1);
    let last = next;
    for (let i = 0; i < 20; i++) last = await restarted.run({ dryRun: true });
    const kept = await restarted.history();
    assert.deepEqual(kept.map((r) => r.id), Array.from({ length: 20 }, (_, i) => last.id - i), 'the last 20 runs are kept');
    assert.equal((await reg.driver.list('gc-runs')).length, 20, 'older records are deleted');
  });

  test('wait: false answers 202 at once with the run and where to follow it; GET /gc/{id} shows it as it ends', async () => {
    const res = await req(reg, 'POST', '/berth/v1/registry/gc', { body: '{"dryRun":true,"wait":false}', headers: { 'Content-Type': 'application/json' } });
    assert.equal(res.status, 202);
    const started = res.json() as GcRun;
    assert.equal(started.status, 'running');
    assert.equal(res.headers.get('location'), `/berth/v1/registry/gc/${started.id}`);
    let current: GcRun = started;
    for (let i = 0; current.status === 'running'; i++) {
      assert.ok(i < 100, 'the run ends');
      await new Promise((r) => setTimeout(r, 20));
      current = (await req(reg, 'GET', res.headers.get('location')!)).json() as GcRun;
    }
    assert.deepEqual([current.id, current.status, current.dryRun], [started.id, 'succeeded', true]);
    const missing = await req(reg, 'GET', '/berth/v1/registry/gc/999999');
    assert.equal(missing.status, 404);
    assert.match(missing.json().message, /no garbage collection run 999999 among the last ones/);
  });
});

test('a collector on a cron schedule runs at the times it names, and stops with its schedule', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-registry-gc-cron-'));
  const gc = new GarbageCollector(await FilesystemDriver.open(dir), new SweepFence(), silentLogger(), { cron: '* * * * * *' });
  try {
    gc.start();
    let runs: GcRun[] = [];
    for (let i = 0; runs.length < 2; i++) {
      assert.ok(i < 100, 'two scheduled runs within 5 s');
      await new Promise((r) => setTimeout(r, 50));
      runs = (await gc.history()).filter((r) => r.status === 'succeeded');
    }
    assert.deepEqual(runs.map((r) => r.dryRun), [false, false]);
    await gc.stop();
    const count = (await gc.history()).length;
    await new Promise((r) => setTimeout(r, 1200));
    assert.equal((await gc.history()).length, count, 'no runs after stop');
  } finally {
    await gc.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
