// The registry client against a real Berth registry behind a small auth front (Bearer, Basic,
// HTTPS with a self-signed certificate; test/helpers/auth-front.ts).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { silentLogger } from '../../src/common/log.js';
import { RegistryClient } from '../../src/common/registry-client.js';
import { Registry } from '../../src/registry/index.js';
import { inspectDistribution } from '../../src/api/distribution-inspect.js';
import { NotFoundError, UnauthorizedError, UnavailableError } from '../../src/types/index.js';
import { GOOD, startFront, type Front } from '../helpers/auth-front.js';

const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
describe('registry client', { timeout: 60_000 }, () => {
  let dir: string;
  let registry: Registry;
  let bearer: Front;
  let basic: Front;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-repl-client-'));
    registry = await Registry.start({ dataDir: join(dir, 'registry'), listen: '127.0.0.1:0', log: silentLogger() });
    bearer = await startFront(registry.address, 'bearer');
    basic = await startFront(registry.address, 'basic');
  });
  after(async () => {
    await bearer?.close();
    await basic?.close();
    await registry?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('Bearer: fetches a token from the realm with Basic credentials, caches it per scope, and pushes and pulls an image with streamed and chunked blobs', async () => {
    const client = new RegistryClient({ url: bearer.url, credentials: { username: 'alice', password: 'pw' } });
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
      assert.deepEqual(await client.listTags('auth/app'), ['a', 'b', 'c', 'd', 'e'], 'followed Link through pages of 2');
      assert.equal(await client.blobSize('auth/app', sha256(layer)), layer.length);
      const { stream } = await client.getBlob('auth/app', sha256(layer));
      const back: Buffer[] = [];
      for await (const c of stream) back.push(c as Buffer);
      assert.ok(Buffer.concat(back).equals(layer));
      assert.equal(await client.mountBlob('auth/copy', sha256(layer), 'auth/app'), true, 'mounted from auth/app');
      assert.equal(await client.mountBlob('auth/copy', sha256(Buffer.from('absent')), 'auth/app'), false, 'nothing to mount');

      assert.ok(bearer.tokenRequests.every((r) => r.authorization === GOOD));
      const scopeSets = bearer.tokenRequests.map((r) => r.scopes.sort().join(' '));
      // One token per scope set (the client's scopes plus those the challenge named), then cached.
      assert.deepEqual(scopeSets, [
        '',
        'repository:auth/app:pull repository:auth/app:pull,push',
        'repository:auth/app:pull',
        'repository:auth/app:pull repository:auth/copy:pull repository:auth/copy:pull,push',
      ]);

      await assert.rejects(client.getManifest('auth/app', 'nope'), (err: Error) => err instanceof NotFoundError && /127\.0\.0\.1:\d+: manifest auth\/app:nope: MANIFEST_UNKNOWN/.test(err.message));
      assert.equal(await client.headManifest('auth/app', 'nope'), undefined);
    } finally {
      client.close();
    }
  });

  test('Bearer: a refused password and anonymous access are UnauthorizedErrors naming the registry', async () => {
    const wrong = new RegistryClient({ url: bearer.url, credentials: { username: 'alice', password: 'bad' } });
    await assert.rejects(wrong.listTags('auth/app'), (err: Error) => err instanceof UnauthorizedError && /127\.0\.0\.1:\d+: unauthorized for the tags of auth\/app: .*refused the credentials of alice/.test(err.message));
    wrong.close();
    const anonymous = new RegistryClient({ url: bearer.url });
    await assert.rejects(anonymous.getManifest('auth/app', 'a'), (err: Error) => err instanceof UnauthorizedError && /anonymous request/.test(err.message));
    anonymous.close();
  });

  test('Basic: sends the credentials once challenged, and says so when there are none', async () => {
    const client = new RegistryClient({ url: basic.url, credentials: { username: 'alice', password: 'pw' } });
    assert.deepEqual(await client.listTags('auth/app'), ['a', 'b', 'c', 'd', 'e']);
    client.close();
    const anonymous = new RegistryClient({ url: basic.url });
    await assert.rejects(anonymous.ping(), (err: Error) => err instanceof UnauthorizedError && /wants a username and password/.test(err.message));
    anonymous.close();
  });

  test('HTTPS with a self-signed certificate: refused unless insecure, then used (and by /distribution on loopback)', async () => {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
    const front = await startFront(registry.address, 'basic', { key: await readFile(key), cert: await readFile(cert) });
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

  test('/distribution resolves through a Bearer registry with the X-Registry-Auth the CLI sends (password or auth form), over HTTP after HTTPS fails on loopback', async () => {
    const image = `${new URL(bearer.url).host}/auth/app:a`;
    const direct = new RegistryClient({ url: `http://${registry.address}` });
    const manifest = await direct.getManifest('auth/app', 'a');
    direct.close();
    for (const config of [{ username: 'alice', password: 'pw', serveraddress: 'x' }, { auth: Buffer.from('alice:pw').toString('base64') }]) {
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
