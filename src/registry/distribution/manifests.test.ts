// Which manifests the registry accepts (spec "Pushing Manifests"; OCI image spec and Docker
// schema 2 shapes) and what it reads from them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RegistryError } from './errors.js';
import { DOCKER_LIST, DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST, parseManifest } from './manifests.js';

const d = (c: string, mediaType = 'application/octet-stream') => ({ mediaType, digest: `sha256:${c.repeat(64)}`, size: 10 });
const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));
const image = (extra: Record<string, unknown> = {}) => ({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: d('c', 'application/vnd.oci.image.config.v1+json'), layers: [d('1'), d('2')], ...extra });

const rejects = (content: Buffer, contentType: string | undefined, re: RegExp): void => {
  assert.throws(
    () => parseManifest(content, contentType),
    (e: unknown) => e instanceof RegistryError && e.code === 'MANIFEST_INVALID' && e.status === 400 && re.test(e.message),
  );
};

test('an OCI image manifest references its config and layers; artifactType falls back to the config media type', () => {
  const p = parseManifest(json(image()), OCI_MANIFEST);
  assert.equal(p.kind, 'image');
  assert.deepEqual(p.blobs.map((b) => b.text[7]), ['c', '1', '2']);
  assert.equal(p.artifactType, 'application/vnd.oci.image.config.v1+json');
  assert.equal(parseManifest(json(image({ artifactType: 'application/x.sbom' })), OCI_MANIFEST).artifactType, 'application/x.sbom');
});

test('indexes and Docker manifest lists reference manifests; Docker schema 2 manifests reference blobs', () => {
  const idx = parseManifest(json({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [d('a', OCI_MANIFEST), d('b', OCI_MANIFEST)] }), OCI_INDEX);
  assert.equal(idx.kind, 'index');
  assert.equal(idx.manifests.length, 2);
  assert.equal(idx.artifactType, undefined);
  const list = parseManifest(json({ schemaVersion: 2, mediaType: DOCKER_LIST, manifests: [d('a', DOCKER_MANIFEST)] }), DOCKER_LIST);
  assert.equal(list.kind, 'index');
  const docker = parseManifest(json(image({ mediaType: DOCKER_MANIFEST })), DOCKER_MANIFEST);
  assert.equal(docker.blobs.length, 3);
});

test('the media type comes from mediaType or Content-Type, and they must agree', () => {
  const noField = image();
  delete (noField as Record<string, unknown>).mediaType;
  assert.equal(parseManifest(json(noField), `${OCI_MANIFEST}; charset=utf-8`).mediaType, OCI_MANIFEST);
  assert.equal(parseManifest(json(image()), 'application/json').mediaType, OCI_MANIFEST);
  rejects(json(image()), OCI_INDEX, /does not match/);
  rejects(json(noField), 'application/json', /cannot tell/);
  rejects(json(image({ mediaType: 'application/vnd.example+json' })), undefined, /unsupported manifest mediaType/);
  rejects(json({ schemaVersion: 1, name: 'x' }), 'application/vnd.docker.distribution.manifest.v1+prettyjws', /schema 1/);
});

test('a subject is read whatever it points at; foreign layers are not required to be in the registry', () => {
  const p = parseManifest(json(image({ subject: d('f', OCI_MANIFEST) })), OCI_MANIFEST);
  assert.equal(p.subject?.text, `sha256:${'f'.repeat(64)}`);
  const foreign = parseManifest(json(image({ layers: [d('1', 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip')] })), OCI_MANIFEST);
  assert.equal(foreign.blobs.length, 1);
});

test('malformed manifests are MANIFEST_INVALID with the field named', () => {
  rejects(Buffer.from('{not json'), OCI_MANIFEST, /not valid JSON/);
  rejects(json([1]), OCI_MANIFEST, /JSON object/);
  rejects(json(image({ schemaVersion: 1 })), OCI_MANIFEST, /schemaVersion/);
  rejects(json(image({ config: undefined })), OCI_MANIFEST, /config must be a descriptor/);
  rejects(json(image({ layers: 'x' })), OCI_MANIFEST, /layers/);
  rejects(json(image({ layers: [{ ...d('1'), size: -1 }] })), OCI_MANIFEST, /layers\[0\]\.size/);
  rejects(json(image({ layers: [{ ...d('1'), digest: 'sha256:short' }] })), OCI_MANIFEST, /layers\[0\]\.digest/);
  rejects(json(image({ layers: [{ ...d('1'), mediaType: '' }] })), OCI_MANIFEST, /layers\[0\]\.mediaType/);
  rejects(json(image({ annotations: { a: 1 } })), OCI_MANIFEST, /annotations/);
  rejects(json(image({ subject: 'x' })), OCI_MANIFEST, /subject/);
  rejects(json({ schemaVersion: 2, mediaType: OCI_INDEX }), OCI_INDEX, /manifests/);
});
