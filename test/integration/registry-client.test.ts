// The registry client against a real Berth registry: its own token auth (Bearer tokens from
// /service/token for a project member), and behind a small auth front for Basic auth and HTTPS
// with a self-signed certificate (test/helpers/auth-front.ts; a relay here gives the front's
// requests a Berth token, as the front's own credentials mean nothing to Berth).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http, { type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { silentLogger } from '../../src/common/log.js';
import { RegistryClient } from '../../src/common/registry-client.js';
import { Registry } from '../../src/registry/index.js';
import { inspectDistribution } from '../../src/api/services/distribution-inspect.js';
import { NotFoundError, UnauthorizedError, UnavailableError } from '../../src/types/index.js';
import { startFront, type Front } from '../helpers/auth-front.js';
import { TEST_ADMIN_PASSWORD, basicAuth, registryAdmin, registryToken } from '../helpers/registry-auth.js';

const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const ALICE = { username: 'alice', password: 'Alice-pw-1' };

/**
 * startRelay forwards requests to the registry with a token of `alice` for the repository the
 * path names (the front in front of it checks its own credentials first).
 */
async function startRelay(registryUrl: string): Promise<{ address: string; server: Server }> {
  const server = http.createServer((req: IncomingMessage, res) => {
    const repo = /^\/v2\/(.+?)\/(?:blobs|manifests|tags)\//.exec(req.url ?? '')?.[1];
    registryToken(registryUrl, ALICE.username, ALICE.password, repo ? [`repository:${repo}:pull`] : []).then(
      (token) => {
        const up = http.request(`${registryUrl}${req.url}`, { method: req.method, headers: { ...req.headers, authorization: `Bearer ${token}` } }, (r) => {
          res.writeHead(r.statusCode!, r.headers);
          r.pipe(res);
        });
        req.pipe(up);
      },
      (err: Error) => res.writeHead(502).end(err.message),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { address: `127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

describe('registry client', { timeout: 60_000 }, () => {
  let dir: string;
  let registry: Registry;
  let relay: { address: string; server: Server };
  let basic: Front;
  /** The token requests Berth's token service received: their scopes and Authorization header. */
  const tokenRequests: Array<{ scopes: string[]; authorization?: string }> = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-repl-client-'));
    registry = await Registry.start({ dataDir: join(dir, 'registry'), listen: '127.0.0.1:0', log: silentLogger(), adminPassword: TEST_ADMIN_PASSWORD });
    registry.app.server.on('request', (req: IncomingMessage) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/service/token') tokenRequests.push({ scopes: url.searchParams.getAll('scope'), authorization: req.headers.authorization });
    });
    await registryAdmin(registry.url, 'admin', TEST_ADMIN_PASSWORD, 'POST', '/users', { Name: ALICE.username, Password: ALICE.password });
    await registryAdmin(registry.url, 'admin', TEST_ADMIN_PASSWORD, 'POST', '/projects', { Name: 'auth' });
    await registryAdmin(registry.url, 'admin', TEST_ADMIN_PASSWORD, 'POST', '/projects/auth/members', { User: ALICE.username, Role: 'developer' });
    relay = await startRelay(registry.url);
    basic = await startFront(relay.address, 'basic');
  });
  after(async () => {
    await basic?.close();
    if (relay) await new Promise((resolve) => relay.server.close(resolve));
    await registry?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("Bearer: fetches a token from Berth's realm with Basic credentials, caches it per scope, and pushes and pulls an image with streamed and chunked blobs", async () => {
    const client = new RegistryClient({ url: registry.url, credentials: ALICE });
    try {
      await client.ping();
      const layer = randomBytes(300_000);
      const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
      await client.pushBlob('auth/app', sha256(layer), layer.length, Readable.from([layer.subarray(0, 1000), layer.subarray(1000)]), { chunkSize: 64 * 1024 });
      await client.pushBlob('auth/app', sha256(config), config.length, Readable.from([config]));
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
          layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }],
        }),
      );
      for (const tag of ['a', 'b', 'c', 'd', 'e']) assert.equal(await client.putManifest('auth/app', tag, { content: manifest, mediaType: 'application/vnd.oci.image.manifest.v1+json' }), sha256(manifest));

      assert.deepEqual(await client.headManifest('auth/app', 'c'), { digest: sha256(manifest), mediaType: 'application/vnd.oci.image.manifest.v1+json', size: manifest.length });
      assert.equal((await client.getManifest('auth/app', sha256(manifest))).content.toString(), manifest.toString());
      assert.deepEqual(await client.listTags('auth/app'), ['a', 'b', 'c', 'd', 'e']);
      assert.equal(await client.blobSize('auth/app', sha256(layer)), layer.length);
      const { stream } = await client.getBlob('auth/app', sha256(layer));
      const back: Buffer[] = [];
      for await (const c of stream) back.push(c as Buffer);
      assert.ok(Buffer.concat(back).equals(layer));
      assert.equal(await client.mountBlob('auth/copy', sha256(layer), 'auth/app'), true, 'mounted from auth/app');
      assert.equal(await client.mountBlob('auth/copy', sha256(Buffer.from('absent')), 'auth/app'), false, 'nothing to mount');

      assert.ok(tokenRequests.length > 0 && tokenRequests.every((r) => r.authorization === basicAuth(ALICE.username, ALICE.password)));
      const scopeSets = tokenRequests.map((r) => r.scopes.sort().join(' '));
      // One token per scope set (the client's scopes plus those the challenge named), then cached.
      assert.deepEqual(scopeSets, ['', 'repository:auth/app:pull,push', 'repository:auth/app:pull', 'repository:auth/app:pull repository:auth/copy:pull,push']);

      await assert.rejects(client.getManifest('auth/app', 'nope'), (err: Error) => err instanceof NotFoundError && /127\.0\.0\.1:\d+: manifest auth\/app:nope: MANIFEST_UNKNOWN/.test(err.message));
      assert.equal(await client.headManifest('auth/app', 'nope'), undefined);
    } finally {
      client.close();
    }
  });

  test('Bearer: a refused password and anonymous access to a private project are UnauthorizedErrors naming the registry', async () => {
    const wrong = new RegistryClient({ url: registry.url, credentials: { username: 'alice', password: 'bad' } });
    await assert.rejects(wrong.listTags('auth/app'), (err: Error) => err instanceof UnauthorizedError && /127\.0\.0\.1:\d+: unauthorized for the tags of auth\/app: .*refused the credentials of alice/.test(err.message));
    wrong.close();
    // Berth gives anonymous callers a token without access; the request it then makes is refused.
    const anonymous = new RegistryClient({ url: registry.url });
    await assert.rejects(anonymous.getManifest('auth/app', 'a'), (err: Error) => err instanceof UnauthorizedError && /127\.0\.0\.1:\d+: unauthorized for the manifest auth\/app:a: anonymous access was refused/.test(err.message));
    anonymous.close();
  });

  test('Basic: sends the credentials once challenged, and says so when there are none', async () => {
    const client = new RegistryClient({ url: basic.url, credentials: { username: 'alice', password: 'pw' } });
    assert.deepEqual(await client.listTags('auth/app'), ['a', 'b', 'c', 'd', 'e'], 'followed Link through pages of 2');
    client.close();
    const anonymous = new RegistryClient({ url: basic.url });
    await assert.rejects(anonymous.ping(), (err: Error) => err instanceof UnauthorizedError && /wants a username and password/.test(err.message));
    anonymous.close();
  });

  test('HTTPS with a self-signed certificate: refused unless insecure, then used (and by /distribution on loopback)', async () => {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
    const front = await startFront(relay.address, 'basic', { key: await readFile(key), cert: await readFile(cert) });
    try {
      const strict = new RegistryClient({ url: front.url, credentials: { username: 'alice', password: 'pw' } });
      await assert.rejects(strict.ping(), (err: Error) => err instanceof UnavailableError && /self.signed certificate/i.test(err.message));
      strict.close();
      const insecure = new RegistryClient({ url: front.url, credentials: { username: 'alice', password: 'pw' }, insecure: true });
      await insecure.ping();
      assert.equal((await insecure.headManifest('auth/app', 'a'))?.mediaType, 'application/vnd.oci.image.manifest.v1+json');
      insecure.close();
      // /distribution treats loopback registries as insecure, as dockerd does.
      const inspect = await inspectDistribution(`${new URL(front.url).host}/auth/app:a`, Buffer.from(JSON.stringify({ username: 'alice', password: 'pw' })).toString('base64url'));
      assert.equal(inspect.Descriptor.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    } finally {
      await front.close();
    }
  });

  test('/distribution resolves through Berth\'s token auth with the X-Registry-Auth the CLI sends (password or auth form), over HTTP after HTTPS fails on loopback', async () => {
    const image = `${registry.address}/auth/app:a`;
    const direct = new RegistryClient({ url: registry.url, credentials: ALICE });
    const manifest = await direct.getManifest('auth/app', 'a');
    direct.close();
    for (const config of [{ ...ALICE, serveraddress: 'x' }, { auth: Buffer.from(`${ALICE.username}:${ALICE.password}`).toString('base64') }]) {
      const inspect = await inspectDistribution(image, Buffer.from(JSON.stringify(config)).toString('base64url'));
      assert.deepEqual(inspect, {
        Descriptor: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: manifest.digest, size: manifest.size },
        Platforms: [{ architecture: 'amd64', os: 'linux' }],
      });
    }
    await assert.rejects(inspectDistribution(image, undefined), (err: Error) => err instanceof UnauthorizedError && err.message.startsWith(`unauthorized: authentication required for ${image}: `));
    await assert.rejects(inspectDistribution(image, 'not-json'), /invalid X-Registry-Auth header/);
  });
});
