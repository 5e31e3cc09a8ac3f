// Parsing and checking pushed manifests: OCI image manifest and index, Docker v2 schema 2
// manifest and manifest list. The registry stores a manifest's exact bytes; this only decides
// whether they are a manifest it accepts and what they reference.

import { RegistryError } from './errors.js';
import { parseDigest, type Digest } from './names.js';
import { isObj } from '../../common/is-object.js';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';

const KINDS: Record<string, 'image' | 'index'> = {
  [OCI_MANIFEST]: 'image',
  [DOCKER_MANIFEST]: 'image',
  [OCI_INDEX]: 'index',
  [DOCKER_LIST]: 'index',
};
const SCHEMA1 = /^application\/vnd\.docker\.distribution\.manifest\.v1\+(?:json|prettyjws)$/;
/** Layers that registries do not hold (their descriptors point elsewhere); they are not checked. */
const FOREIGN_LAYER = /nondistributable|\.foreign\./;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export interface ParsedManifest {
  mediaType: string;
  kind: 'image' | 'index';
  /** Blobs that must be in the repository (config and layers). */
  blobs: Digest[];
  /** Manifests that must be in the repository (an index's entries). */
  manifests: Digest[];
  subject?: Digest;
  /** The artifactType a referrers list shows for this manifest. */
  artifactType?: string;
  annotations?: Record<string, string>;
}

const invalid = (message: string, detail?: unknown): RegistryError => new RegistryError('MANIFEST_INVALID', 400, message, detail);

export const isManifestMediaType = (type: string): boolean => type in KINDS;

/** bareMediaType drops parameters and case from a Content-Type header. */
export const bareMediaType = (contentType: string | undefined): string => (contentType ?? '').split(';')[0]!.trim().toLowerCase();

/** parseManifest checks bytes pushed with `contentType` and says what they are and reference. */
export function parseManifest(content: Buffer, contentType: string | undefined): ParsedManifest {
  let doc: unknown;
  try {
    doc = JSON.parse(content.toString('utf8'));
  } catch (err) {
    throw invalid(`the manifest is not valid JSON: ${(err as Error).message}`);
  }
  if (!isObj(doc)) throw invalid('the manifest must be a JSON object');
  const mediaType = resolveMediaType(doc, bareMediaType(contentType));
  if (doc.schemaVersion !== 2) throw invalid(`schemaVersion must be 2, not ${JSON.stringify(doc.schemaVersion)}`);
  const annotations = optionalAnnotations(doc.annotations, 'annotations');
  const artifactType = optionalString(doc.artifactType, 'artifactType');
  const subject = doc.subject === undefined ? undefined : digestOf(descriptor(doc.subject, 'subject'), 'subject');
  const base = { mediaType, subject, annotations };
  if (KINDS[mediaType] === 'index') {
    if (!Array.isArray(doc.manifests)) throw invalid('an index needs a "manifests" array');
    const entries = doc.manifests.map((m, i) => descriptor(m, `manifests[${i}]`));
    return { ...base, kind: 'index', blobs: [], manifests: entries.map((d, i) => digestOf(d, `manifests[${i}]`)), artifactType: artifactType || undefined };
  }
  const config = descriptor(doc.config, 'config');
  if (!Array.isArray(doc.layers)) throw invalid('an image manifest needs a "layers" array');
  const layers = doc.layers.map((l, i) => descriptor(l, `layers[${i}]`));
  const held = layers.map((d, i) => [d, `layers[${i}]`] as const).filter(([d]) => !FOREIGN_LAYER.test(d.mediaType));
  return {
    ...base,
    kind: 'image',
    blobs: [digestOf(config, 'config'), ...held.map(([d, where]) => digestOf(d, where))],
    manifests: [],
    // The spec: the manifest's artifactType, else its config's media type.
    artifactType: artifactType || config.mediaType,
  };
}

function resolveMediaType(doc: Record<string, unknown>, header: string): string {
  const field = optionalString(doc.mediaType, 'mediaType');
  for (const t of [field, header]) {
    if (t && SCHEMA1.test(t)) throw invalid(`Docker schema 1 manifests (${t}) are not supported: push an OCI or Docker schema 2 manifest`);
  }
  if (field !== undefined) {
    if (!isManifestMediaType(field)) throw invalid(`unsupported manifest mediaType "${field}": use ${Object.keys(KINDS).join(', ')}`);
    if (isManifestMediaType(header) && header !== field) {
      throw invalid(`the Content-Type header (${header}) does not match the manifest's mediaType (${field})`);
    }
    return field;
  }
  if (isManifestMediaType(header)) return header;
  throw invalid(`cannot tell what kind of manifest this is: send Content-Type as one of ${Object.keys(KINDS).join(', ')} (or set "mediaType")`);
}

function descriptor(value: unknown, where: string): Descriptor {
  if (!isObj(value)) throw invalid(`${where} must be a descriptor object`);
  if (typeof value.mediaType !== 'string' || value.mediaType === '') throw invalid(`${where}.mediaType must be a non-empty string`);
  if (typeof value.digest !== 'string') throw invalid(`${where}.digest must be a string`);
  if (typeof value.size !== 'number' || !Number.isSafeInteger(value.size) || value.size < 0) {
    throw invalid(`${where}.size must be a non-negative integer`);
  }
  const urls = value.urls;
  if (urls !== undefined && !(Array.isArray(urls) && urls.every((u) => typeof u === 'string'))) throw invalid(`${where}.urls must be a list of strings`);
  return {
    mediaType: value.mediaType,
    digest: value.digest,
    size: value.size,
    artifactType: optionalString(value.artifactType, `${where}.artifactType`),
    annotations: optionalAnnotations(value.annotations, `${where}.annotations`),
  };
}

function digestOf(d: Descriptor, where: string): Digest {
  try {
    return parseDigest(d.digest);
  } catch (err) {
    throw invalid(`${where}.digest: ${(err as Error).message}`, { digest: d.digest });
  }
}

function optionalString(value: unknown, where: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid(`${where} must be a string`);
  return value;
}

function optionalAnnotations(value: unknown, where: string): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (!isObj(value) || !Object.values(value).every((v) => typeof v === 'string')) throw invalid(`${where} must map strings to strings`);
  return value as Record<string, string>;
}

