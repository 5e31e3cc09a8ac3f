// Which credential a task's image is pulled with, and the Engine API's auth config encoding.
// Precedence, most specific first: the registry credential a service names in its
// `berth.registry-credential` label; the X-Registry-Auth the service was created or updated
// with (`--with-registry-auth`); the registry credential stored for the image's registry (the
// oldest, should there be several), as docker's config.json is matched by registry host.

import { InvalidArgumentError, REGISTRY_CREDENTIAL_LABEL } from '../types/index.js';
import type { Labels, RegistryCredential, ServiceRegistryAuth } from '../types/index.js';

export const DOCKER_HUB = 'docker.io';
const HUB_ALIASES = new Set(['index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);
const HOST_PORT = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:]+\])(?::[0-9]{1,5})?$/;

/** The Engine API's AuthConfig (X-Registry-Auth), with Go's field names. */
export interface AuthConfig {
  username?: string;
  password?: string;
  auth?: string;
  email?: string;
  serveraddress?: string;
  identitytoken?: string;
  registrytoken?: string;
}

/** registryOf gives the registry host an image reference pulls from, as docker's reference parser decides it. */
export function registryOf(image: string): string {
  const slash = image.indexOf('/');
  const first = slash < 0 ? '' : image.slice(0, slash);
  const isHost = first !== '' && (/[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase());
  if (!isHost) return DOCKER_HUB;
  const host = first.toLowerCase();
  return HUB_ALIASES.has(host) ? DOCKER_HUB : host;
}

/** normalizeRegistry turns what a user may write for a registry (URL, host, host:port) into the host form, or undefined. */
export function normalizeRegistry(input: string): string | undefined {
  const host = input.trim().replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
  if (!HOST_PORT.test(host)) return undefined;
  return HUB_ALIASES.has(host) ? DOCKER_HUB : host;
}

/** encodeAuth gives the X-Registry-Auth form of an auth config: padded base64url JSON, as the docker CLI sends it (Go's URLEncoding; engines refuse it unpadded). */
export function encodeAuth(config: AuthConfig): string {
  return Buffer.from(JSON.stringify(config)).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

/** decodeAuth reads an X-Registry-Auth header (base64url or base64 JSON); a malformed one is the caller's error. */
export function decodeAuth(header: string): AuthConfig {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(header.trim(), 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidArgumentError('invalid X-Registry-Auth header: it must be base64url-encoded JSON of an auth config ({"username","password","serveraddress"}); log in again with docker login');
  }
  const out: AuthConfig = {};
  for (const key of ['username', 'password', 'auth', 'email', 'serveraddress', 'identitytoken', 'registrytoken'] as const) {
    const v = (value as Record<string, unknown>)[key];
    if (typeof v === 'string' && v !== '') out[key] = v;
  }
  return out;
}

/** carriesCredential: the config logs in to something (the CLI sends an empty one when it has no login for the registry). */
export function carriesCredential(config: AuthConfig): boolean {
  return !!(config.username || config.password || config.auth || config.identitytoken || config.registrytoken);
}

/** credentialAuth is the auth config an agent pulls with for a stored registry credential. */
export function credentialAuth(c: RegistryCredential): string {
  return encodeAuth({ username: c.Spec.Username, password: c.Spec.Password ?? '', serveraddress: c.Spec.Registry });
}

export interface PullAuthSources {
  credentialByName(name: string): RegistryCredential | undefined;
  credentials(): RegistryCredential[];
  serviceAuth(id: string): ServiceRegistryAuth | undefined;
}

export type PullAuthChoice =
  | { kind: 'credential'; credential: RegistryCredential; registry: string }
  | { kind: 'service'; auth: string; registry: string }
  | undefined;

/**
 * choosePullAuth picks what an image is pulled with, by the precedence above: `labels` are the
 * service's, `authRef` its ContainerSpec.BerthRegistryAuth. Undefined: pull anonymously.
 */
export function choosePullAuth(image: string, labels: Labels | undefined, authRef: string | undefined, sources: PullAuthSources): PullAuthChoice {
  const registry = registryOf(image);
  const named = labels?.[REGISTRY_CREDENTIAL_LABEL];
  if (named) {
    const credential = sources.credentialByName(named);
    return credential ? { kind: 'credential', credential, registry } : undefined;
  }
  const sent = authRef ? sources.serviceAuth(authRef) : undefined;
  if (sent && carriesCredential(decodeAuth(sent.Auth))) return { kind: 'service', auth: sent.Auth, registry };
  const [oldest] = sources
    .credentials()
    .filter((c) => c.Spec.Registry === registry)
    .sort((a, b) => a.CreatedAt.localeCompare(b.CreatedAt) || a.ID.localeCompare(b.ID));
  return oldest ? { kind: 'credential', credential: oldest, registry } : undefined;
}
