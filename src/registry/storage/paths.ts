// Where everything lives, as storage driver paths. Repository names and tags are validated
// (names.ts) before they get here, and "_"-prefixed components cannot be repository name parts,
// so a repository "a/_layers" cannot collide with the metadata of repository "a".
//
//   blobs/<alg>/<hex[0:2]>/<hex>/data                          content, shared by all repositories
//   uploads/<id>/data, uploads/<id>/info                        upload sessions (info: repository, start time)
//   repositories/<name>/_layers/<alg>/<hex>/link                blob linked into a repository
//   repositories/<name>/_manifests/revisions/<alg>/<hex>/link   manifest in a repository (media type, subject)
//   repositories/<name>/_manifests/revisions/<alg>/<hex>/tags/<tag>   tags that were set to it (hints)
//   repositories/<name>/_manifests/tags/<tag>                   tag → manifest digest
//   repositories/<name>/_referrers/<alg>/<hex>/<alg>-<hex>      descriptor of a manifest whose subject is <alg>:<hex>

import type { Digest } from '../distribution/names.js';

export const BLOBS = 'blobs';
export const UPLOADS = 'uploads';
export const REPOSITORIES = 'repositories';

const repo = (name: string): string => `${REPOSITORIES}/${name}`;

export const paths = {
  blobData: (d: Digest): string => `${BLOBS}/${d.algorithm}/${d.hex.slice(0, 2)}/${d.hex}/data`,
  upload: (id: string): string => `${UPLOADS}/${id}`,
  uploadData: (id: string): string => `${UPLOADS}/${id}/data`,
  uploadInfo: (id: string): string => `${UPLOADS}/${id}/info`,
  repository: repo,
  layersDir: (name: string): string => `${repo(name)}/_layers`,
  layerLink: (name: string, d: Digest): string => `${repo(name)}/_layers/${d.algorithm}/${d.hex}/link`,
  manifestsDir: (name: string): string => `${repo(name)}/_manifests`,
  revisions: (name: string): string => `${repo(name)}/_manifests/revisions`,
  revision: (name: string, d: Digest): string => `${repo(name)}/_manifests/revisions/${d.algorithm}/${d.hex}`,
  revisionLink: (name: string, d: Digest): string => `${repo(name)}/_manifests/revisions/${d.algorithm}/${d.hex}/link`,
  revisionTags: (name: string, d: Digest): string => `${repo(name)}/_manifests/revisions/${d.algorithm}/${d.hex}/tags`,
  revisionTag: (name: string, d: Digest, tag: string): string => `${repo(name)}/_manifests/revisions/${d.algorithm}/${d.hex}/tags/${tag}`,
  tags: (name: string): string => `${repo(name)}/_manifests/tags`,
  tag: (name: string, tag: string): string => `${repo(name)}/_manifests/tags/${tag}`,
  referrers: (name: string, subject: Digest): string => `${repo(name)}/_referrers/${subject.algorithm}/${subject.hex}`,
  referrer: (name: string, subject: Digest, d: Digest): string =>
    `${repo(name)}/_referrers/${subject.algorithm}/${subject.hex}/${d.algorithm}-${d.hex}`,
};
