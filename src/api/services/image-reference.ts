// Image references as docker's reference parser reads them: [registry/]path[:tag][@digest].
// The first component is a registry when it has a "." or ":" or is "localhost"; otherwise the
// image is on Docker Hub, and a one-component path is under library/.

import { InvalidArgumentError } from '../../types/index.js';

const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?$|^\[[0-9a-fA-F:]+\](?::[0-9]+)?$/;
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,}$/;

export const DOCKER_HUB = 'docker.io';

export interface ImageReference {
  /** host[:port]; docker.io for Docker Hub. */
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

/** parseImageReference reads an image reference, in the docker CLI's words when it is malformed. */
export function parseImageReference(text: string): ImageReference {
  const invalid = (why = ''): InvalidArgumentError => new InvalidArgumentError(`invalid reference format${why}: ${text}`);
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw invalid();
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw invalid();
  }
  const parts = rest.split('/');
  let registry = DOCKER_HUB;
  if (parts.length > 1 && (/[.:]/.test(parts[0]!) || parts[0] === 'localhost' || parts[0] !== parts[0]!.toLowerCase())) {
    registry = parts.shift()!;
    if (!DOMAIN.test(registry)) throw invalid();
  }
  if (parts.some((p) => p !== p.toLowerCase())) throw invalid(': repository name must be lowercase');
  if (parts.length === 0 || !parts.every((p) => COMPONENT.test(p))) throw invalid();
  if (registry === DOCKER_HUB && parts.length === 1) parts.unshift('library');
  const repository = parts.join('/');
  if (registry.length + 1 + repository.length > 255) throw invalid(': repository name must not be more than 255 characters');
  return { registry, repository, ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) };
}

/** The registry's API address: Docker Hub's is registry-1.docker.io. */
export const registryHost = (ref: ImageReference): string => (ref.registry === DOCKER_HUB ? 'registry-1.docker.io' : ref.registry);

/** familiar writes a reference as the docker CLI shows it (no docker.io/library/, tag latest when there is no digest). */
export function familiar(ref: ImageReference): string {
  let name = ref.registry === DOCKER_HUB ? ref.repository.replace(/^library\//, '') : `${ref.registry}/${ref.repository}`;
  if (ref.tag !== undefined || ref.digest === undefined) name += `:${ref.tag ?? 'latest'}`;
  return ref.digest ? `${name}@${ref.digest}` : name;
}
