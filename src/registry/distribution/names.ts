// Repository names, tags and digests as the spec defines them ("Pulling manifests"; digests
// per the OCI image spec's descriptor grammar). Everything that becomes a storage path is
// checked here first, so no request can name a path outside its repository.

import { RegistryError } from './errors.js';

const NAME = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const DIGEST_GRAMMAR = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
/** Many clients cap registry host + "/" + name at 255 characters; the name alone may not exceed it. */
export const MAX_NAME_LENGTH = 255;

export type Algorithm = 'sha256' | 'sha512';
const HEX_LENGTH: Record<Algorithm, number> = { sha256: 64, sha512: 128 };

export interface Digest {
  algorithm: Algorithm;
  hex: string;
  /** The canonical text, "algorithm:hex". */
  text: string;
}

/** isName says whether a repository name is valid (checkName, without the error). */
export const isName = (name: string): boolean => name.length <= MAX_NAME_LENGTH && NAME.test(name);

export function checkName(name: string): string {
  if (!isName(name)) {
    throw new RegistryError(
      'NAME_INVALID',
      400,
      `invalid repository name "${name.slice(0, MAX_NAME_LENGTH)}": use lowercase letters and digits, separated by ".", "_", "__", "-" or "/" (at most ${MAX_NAME_LENGTH} characters)`,
      { name },
    );
  }
  return name;
}

export const isTag = (text: string): boolean => TAG.test(text);

/** parseDigest accepts sha256 and sha512 digests and throws DIGEST_INVALID for anything else. */
export function parseDigest(text: string): Digest {
  if (!DIGEST_GRAMMAR.test(text)) {
    throw new RegistryError('DIGEST_INVALID', 400, `invalid digest "${text.slice(0, 200)}": use algorithm:hex, e.g. sha256:<64 hex digits>`, { digest: text.slice(0, 200) });
  }
  const [alg, hex] = text.split(':') as [string, string];
  if (alg !== 'sha256' && alg !== 'sha512') {
    throw new RegistryError('DIGEST_INVALID', 400, `unsupported digest algorithm "${alg}": use sha256 or sha512`, { digest: text });
  }
  if (hex.length !== HEX_LENGTH[alg] || !/^[a-f0-9]+$/.test(hex)) {
    throw new RegistryError('DIGEST_INVALID', 400, `invalid ${alg} digest "${text}": it needs ${HEX_LENGTH[alg]} lowercase hex digits`, { digest: text });
  }
  return { algorithm: alg, hex, text };
}

export type Reference = { kind: 'tag'; tag: string } | { kind: 'digest'; digest: Digest };

/** parseReference reads a manifest reference: a digest if it has a colon, else a tag. */
export function parseReference(text: string): Reference {
  if (text.includes(':')) return { kind: 'digest', digest: parseDigest(text) };
  if (!isTag(text)) {
    throw new RegistryError(
      'MANIFEST_INVALID',
      400,
      `invalid tag "${text.slice(0, 200)}": a tag is 1 to 128 letters, digits, "_", "." or "-" and does not start with "." or "-"`,
      { tag: text.slice(0, 200) },
    );
  }
  return { kind: 'tag', tag: text };
}

export const referenceText = (ref: Reference): string => (ref.kind === 'tag' ? ref.tag : ref.digest.text);
