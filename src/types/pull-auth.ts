// Credentials agents pull images with. Two sources, both sealed at rest and never returned by the
// API: registry credentials, objects the platform stores (Berth-only API), and the X-Registry-Auth
// a client sent with a service (`docker service create|update --with-registry-auth`), kept beside
// the service as Swarm keeps ContainerSpec.PullOptions.

import type { Labels, Meta } from './objects.js';

/** Service label naming the registry credential its tasks pull with (wins over the other sources). */
export const REGISTRY_CREDENTIAL_LABEL = 'berth.registry-credential';

export interface RegistryCredentialSpec {
  /** Unique name: letters, digits and ._- */
  Name: string;
  Labels?: Labels;
  /** The registry it logs in to: `host[:port]` as image references spell it (`docker.io` for Docker Hub). */
  Registry: string;
  Username: string;
  /** Stored (encrypted at rest) and sent to agents; no endpoint returns it. */
  Password?: string;
}

export interface RegistryCredential extends Meta {
  Spec: RegistryCredentialSpec;
}

/**
 * The X-Registry-Auth header a service was created or updated with, exactly as sent (base64url
 * JSON auth config). A service's ContainerSpec.BerthRegistryAuth holds its ID, so the spec, the
 * previous spec and each task carry the reference and never the secret.
 */
export interface ServiceRegistryAuth extends Meta {
  ServiceID: string;
  Auth: string;
}

/** What an agent pulls a task's image with: the registry it is for and an encoded auth config. */
export interface TaskPullAuth {
  taskId: string;
  registry: string;
  /** base64url JSON auth config, as the Engine API's X-Registry-Auth header takes it. */
  auth: string;
  /** Where it comes from, for error messages: `registry credential NAME` or `the service's --with-registry-auth`. */
  source: string;
}
