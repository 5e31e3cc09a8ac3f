// Prometheus metrics of a whole registry (as `berth registry` runs it), read by scraping /metrics.
// Pushes and pulls go as admin with a token: auth is always on, as for any client.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../common/log.js';
import { Registry } from './registry.js';
import { RegistryMetrics, operationOf } from './metrics.js';
import { closeGracefully } from '../common/http-close.js';
import { UnauthorizedError } from '../types/index.js';
import { RegistryEvents } from './events.js';
import { FilesystemDriver } from './storage/filesystem-driver.js';
import { createRegistryServer } from './distribution/server.js';
import { UsageAccountant } from './policies/usage.js';
import { pushBlob, pushImage, req, sha256, type TestRegistry } from './distribution/test-helpers.js';
import { TEST_ADMIN_PASSWORD, registryAdmin, registryToken } from '../../test/helpers/registry-auth.js';

let dir: string;
let registry: Registry;
let reg: TestRegistry;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-metrics-'));
  registry = await Registry.start({ dataDir: dir, listen: '127.0.0.1:0', log: silentLogger(), gc: { graceMs: 0 }, adminPassword: TEST_ADMIN_PASSWORD });
  // The spec helpers need only the URL and admin's token (set below).
  reg = { url: registry.url } as TestRegistry;
  await registryAdmin(registry.url, 'admin', TEST_ADMIN_PASSWORD, 'POST', '/projects', { Name: 'metrics' });
  const scopes = ['metrics/app', 'metrics/other', 'solo'].map((r) => `repository:${r}:pull,push`);
  reg.headers = { Authorization: `Bearer ${await registryToken(registry.url, 'admin', TEST_ADMIN_PASSWORD, scopes)}` };
});
after(async () => {
  await registry.stop();
  await rm(dir, { recursive: true, force: true });
});

/** scrape reads /metrics into "name{labels}" → value. */
async function scrape(): Promise<Map<string, number>> {
  const res = await fetch(`${reg.url}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const values = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    values.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return values;
}

test('/metrics counts bytes up and down, times requests by operation, and reports storage per project, GC and replication', async () => {
  const a = await pushImage(reg, 'metrics/app', 'v1', { seed: 'a' });
  await pushImage(reg, 'metrics/other', 'v1', { seed: 'a' }); // the same blobs: counted once for the project
  const b = await pushImage(reg, 'solo', 'v1', { seed: 'b' });
  await pushBlob(reg, 'metrics/app', 'garbage');
  const pushed = [a, a, b].reduce((n, i) => n + i.manifest.length + i.config.length + i.layers.reduce((m, l) => m + l.length, 0), 0) + 'garbage'.length;
  const layer = a.layers[0]!;
  assert.equal((await req(reg, 'GET', `/v2/metrics/app/blobs/${sha256(layer)}`)).status, 200);
  assert.equal((await req(reg, 'GET', `/v2/metrics/app/blobs/${sha256(layer)}`, { headers: { Range: 'bytes=0-3' } })).status, 206);
  assert.equal((await req(reg, 'GET', '/v2/metrics/app/manifests/v1')).status, 200);
  registry.events.emit({ action: 'replicate', target: 'manifest', repository: 'metrics/app', digest: a.digest, status: 'succeeded', remote: 'http://elsewhere/x' });
  registry.events.emit({ action: 'replicate', target: 'manifest', repository: 'metrics/app', digest: a.digest, status: 'failed', remote: 'http://elsewhere/x' });
  const run = await registry.gc.run();
  assert.equal(run.blobsDeleted, 1);

  const m = await scrape();
  assert.equal(m.get('berth_registry_uploaded_bytes_total'), pushed);
  assert.equal(m.get('berth_registry_downloaded_bytes_total'), layer.length + 4 + a.manifest.length);
  assert.equal(m.get('berth_registry_project_storage_bytes{project="metrics"}'), a.manifest.length + a.config.length + a.layers[0]!.length + a.layers[1]!.length);
  assert.equal(m.get('berth_registry_project_storage_bytes{project="library"}'), b.manifest.length + b.config.length + b.layers[0]!.length + b.layers[1]!.length);
  assert.equal(m.get('berth_registry_manifests{project="metrics"}'), 2);
  assert.equal(m.get('berth_registry_blobs'), 8, 'two distinct images of 4 blobs each; the garbage blob was swept');
  assert.equal(m.get('berth_registry_gc_runs_total{status="succeeded",dry_run="false"}'), 1);
  assert.equal(m.get('berth_registry_gc_freed_bytes_total'), 'garbage'.length);
  assert.equal(m.get('berth_registry_gc_deleted_blobs_total'), 1);
  assert.equal(m.get('berth_registry_replications_total{status="succeeded"}'), 1);
  assert.equal(m.get('berth_registry_replications_total{status="failed"}'), 1);
  assert.equal(m.get('berth_registry_request_duration_seconds_count{operation="manifest",method="PUT",code="201"}'), 3);
  assert.equal(m.get('berth_registry_request_duration_seconds_count{operation="blob",method="GET",code="206"}'), 1);
  assert.ok((m.get('berth_registry_request_duration_seconds_sum{operation="upload",method="PUT",code="201"}') ?? 0) > 0);
});

test('operations are endpoint kinds, never repository names', () => {
  assert.equal(operationOf('/v2/a/b/blobs/uploads/?mount=x'), 'uploads');
  assert.equal(operationOf('/v2/a/b/manifests/v1'), 'manifest');
  assert.equal(operationOf('/berth/v1/registry/gc'), 'admin');
  assert.equal(operationOf('/v2/a/b/nothing'), 'unknown');
  assert.equal(operationOf('/service/token?scope=repository:a:pull'), 'token');
});

test('/metrics off loopback answers only a system administrator', async (t) => {
  const address = Object.values(networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
  if (!address) return t.skip('this machine has no non-loopback IPv4 address');
  const driver = await FilesystemDriver.open(join(dir, 'off-loopback'));
  const events = new RegistryEvents(silentLogger());
  const app = createRegistryServer({
    driver,
    events,
    metrics: new RegistryMetrics(driver, new UsageAccountant(driver, events), events),
    guard: async (request) => {
      if (request.headers.authorization === 'Basic YWRtaW46b2s=') return { name: 'admin', admin: true, robot: false };
      throw new UnauthorizedError('log in as an administrator');
    },
  });
  await app.listen({ host: address, port: 0 });
  t.after(() => closeGracefully(app));
  const url = `http://${address}:${(app.server.address() as { port: number }).port}/metrics`;
  const anonymous = await fetch(url);
  assert.equal(anonymous.status, 401);
  assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Basic /);
  const admin = await fetch(url, { headers: { Authorization: 'Basic YWRtaW46b2s=' } });
  assert.equal(admin.status, 200);
  assert.match(await admin.text(), /berth_registry_uploaded_bytes_total/);
});
