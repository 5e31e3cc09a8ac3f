// Fixtures for the registry's spec tests: a real server on loopback over the filesystem driver in
// a temporary directory, a small HTTP client, and builders for blobs and manifests.

import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { silentLogger } from '../../common/log.js';
import { RegistryEvents, type RegistryEvent } from '../events.js';
import { FilesystemDriver } from '../storage/filesystem-driver.js';
import { OCI_MANIFEST } from './manifests.js';
import { closeGracefully } from '../../common/http-close.js';
import { createRegistryServer, type RegistryServerOptions } from './server.js';

export interface TestRegistry {
  url: string;
  dir: string;
  driver: FilesystemDriver;
  app: FastifyInstance;
  events: RegistryEvent[];
  close(): Promise<void>;
  /** Sent with every request (e.g. a bearer token for a registry with auth). */
  headers?: Record<string, string>;
}

export async function startRegistry(extra: Partial<RegistryServerOptions> = {}, dir?: string): Promise<TestRegistry> {
  const root = dir ?? (await mkdtemp(join(tmpdir(), 'berth-registry-')));
  const driver = await FilesystemDriver.open(join(root, 'storage'));
  const events = new RegistryEvents(silentLogger());
  const seen: RegistryEvent[] = [];
  events.on((e) => seen.push(e));
  const app = createRegistryServer({ driver, events, ...extra });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    dir: root,
    driver,
    app,
    events: seen,
    close: async () => {
      await closeGracefully(app);
      if (!dir) await rm(root, { recursive: true, force: true });
    },
  };
}

export interface Res {
  status: number;
  headers: Headers;
  body: Buffer;
  // Tests read error and list bodies field by field.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json(): any;
  /** The error codes of a spec error body. */
  codes(): string[];
}

export interface ReqOptions {
  headers?: Record<string, string>;
  body?: Buffer | string | ReadableStream<Uint8Array>;
}

/** req sends one request; a relative `path` (or a Location) is resolved against the registry. */
export async function req(reg: TestRegistry, method: string, path: string, opts: ReqOptions = {}): Promise<Res> {
  const init: RequestInit & { duplex?: 'half' } = { method, headers: { ...reg.headers, ...opts.headers }, body: opts.body, redirect: 'manual' };
  if (opts.body instanceof ReadableStream) init.duplex = 'half';
  const res = await fetch(new URL(path, reg.url), init);
  const body = Buffer.from(await res.arrayBuffer());
  return {
    status: res.status,
    headers: res.headers,
    body,
    json: () => JSON.parse(body.toString()),
    codes: () => (JSON.parse(body.toString()) as { errors: Array<{ code: string }> }).errors.map((e) => e.code),
  };
}

export const sha256 = (data: Buffer | string): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;
export const sha512 = (data: Buffer | string): string => `sha512:${createHash('sha512').update(data).digest('hex')}`;

/** pushBlob uploads content monolithically (POST then PUT) and returns its digest. */
export async function pushBlob(reg: TestRegistry, name: string, content: Buffer | string): Promise<string> {
  const digest = sha256(content);
  const start = await req(reg, 'POST', `/v2/${name}/blobs/uploads/`);
  if (start.status !== 202) throw new Error(`POST upload: ${start.status} ${start.body}`);
  const put = await req(reg, 'PUT', withQuery(start.headers.get('location')!, { digest }), {
    body: content,
    headers: { 'Content-Type': 'application/octet-stream' },
  });
  if (put.status !== 201) throw new Error(`PUT upload: ${put.status} ${put.body}`);
  return digest;
}

export function withQuery(location: string, params: Record<string, string>): string {
  const u = new URL(location, 'http://x');
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return `${u.pathname}${u.search}`;
}

export interface Desc {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string };
}

export const desc = (mediaType: string, content: Buffer | string, extra: Partial<Desc> = {}): Desc => ({
  mediaType,
  digest: sha256(content),
  size: Buffer.byteLength(content),
  ...extra,
});

export interface Image {
  manifest: Buffer;
  digest: string;
  config: Buffer;
  layers: Buffer[];
}

/** pushImage pushes a config, layers and an OCI image manifest, tagged if `tag` is given. */
export async function pushImage(
  reg: TestRegistry,
  name: string,
  tag: string | undefined,
  opts: { seed?: string; subject?: Desc; artifactType?: string; annotations?: Record<string, string>; configType?: string } = {},
): Promise<Image> {
  const seed = opts.seed ?? tag ?? 'x';
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', seed }));
  const layers = [Buffer.from(`layer one of ${seed}`), Buffer.from(`layer two of ${seed}`)];
  for (const b of [config, ...layers]) await pushBlob(reg, name, b);
  const doc: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: desc(opts.configType ?? 'application/vnd.oci.image.config.v1+json', config),
    layers: layers.map((l) => desc('application/vnd.oci.image.layer.v1.tar', l)),
  };
  if (opts.artifactType) doc.artifactType = opts.artifactType;
  if (opts.subject) doc.subject = opts.subject;
  if (opts.annotations) doc.annotations = opts.annotations;
  const manifest = Buffer.from(JSON.stringify(doc));
  const digest = sha256(manifest);
  const put = await req(reg, 'PUT', `/v2/${name}/manifests/${tag ?? digest}`, { body: manifest, headers: { 'Content-Type': OCI_MANIFEST } });
  if (put.status !== 201) throw new Error(`PUT manifest: ${put.status} ${put.body}`);
  return { manifest, digest, config, layers };
}
