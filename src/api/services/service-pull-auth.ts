// What a service pulls with, kept as Swarm keeps ContainerSpec.PullOptions (moby
// daemon/cluster/services.go): the X-Registry-Auth sent with a create or update is stored — in its
// own sealed object, the spec holding only its ID — and an update without one keeps the current
// spec's (or, with registryAuthFrom=previous-spec, the previous spec's). A rollback takes the
// previous spec with its own. Nothing of it is ever shown; objects no spec references are removed.

import { InvalidArgumentError, REGISTRY_CREDENTIAL_LABEL } from '../../types/index.js';
import type { ContainerSpec, Service, ServiceSpec } from '../../types/index.js';
import type { ReadTx, Tx } from '../../store/index.js';
import { newId } from '../../common/ids.js';
import { decodeAuth, registryOf } from '../../common/pull-auth.js';

/** The X-Registry-Auth header of a request, if it carries one. */
export function registryAuthHeader(headers: Record<string, string | string[] | undefined>): string | undefined {
  const raw = headers['x-registry-auth'];
  const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  if (!value) return undefined;
  decodeAuth(value);
  return value;
}

/** registryAuthFrom reads the update's query parameter (Engine API: spec | previous-spec). */
export function registryAuthFrom(value: string | undefined): 'spec' | 'previous-spec' {
  if (value === undefined || value === '' || value === 'spec') return 'spec';
  if (value === 'previous-spec') return value;
  throw new InvalidArgumentError(`invalid registryAuthFrom '${value}': use spec or previous-spec`);
}

/**
 * withPullAuth gives `spec` the reference to what it pulls with: a new object for `header` (or
 * the carried one when it holds the same auth), else the one `carried` from the current spec.
 */
export function withPullAuth(tx: Tx, serviceId: string, spec: ServiceSpec, header: string | undefined, carried: ServiceSpec | undefined): ServiceSpec {
  const container = spec.TaskTemplate?.ContainerSpec;
  if (!container) return spec;
  const carriedRef = carried?.TaskTemplate?.ContainerSpec?.BerthRegistryAuth;
  let ref = carriedRef;
  if (header !== undefined && tx.serviceRegistryAuths.get(carriedRef ?? '')?.Auth !== header) {
    ref = tx.serviceRegistryAuths.create({ ID: newId(), Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', ServiceID: serviceId, Auth: header }).ID;
  }
  const { BerthRegistryAuth: _old, ...rest } = container;
  return { ...spec, TaskTemplate: { ...spec.TaskTemplate, ContainerSpec: ref ? { ...rest, BerthRegistryAuth: ref } : rest } };
}

/** pruneServiceAuths removes the stored auths of a service (gone when undefined) that neither of its specs references. */
export function pruneServiceAuths(tx: Tx, serviceId: string, service: Service | undefined): void {
  const kept = new Set([service?.Spec, service?.PreviousSpec].map((s) => s?.TaskTemplate?.ContainerSpec?.BerthRegistryAuth));
  for (const a of tx.serviceRegistryAuths.list()) if (a.ServiceID === serviceId && !kept.has(a.ID)) tx.serviceRegistryAuths.delete(a.ID);
}

/**
 * checkCredentialLabel: a service naming a registry credential names one that exists and is for
 * the registry its image comes from, so a password never goes to another registry.
 */
export function checkCredentialLabel(tx: ReadTx, spec: ServiceSpec): void {
  const name = spec.Labels?.[REGISTRY_CREDENTIAL_LABEL];
  if (name === undefined) return;
  const credential = tx.registryCredentials.byName(name);
  if (!credential) {
    throw new InvalidArgumentError(
      `label ${REGISTRY_CREDENTIAL_LABEL}=${name} names no registry credential: create it first (POST /berth/v1/registry-credentials) or fix the label`,
    );
  }
  const image = spec.TaskTemplate?.ContainerSpec?.Image ?? '';
  const registry = registryOf(image);
  if (credential.Spec.Registry !== registry) {
    throw new InvalidArgumentError(
      `label ${REGISTRY_CREDENTIAL_LABEL}=${name}: that credential is for registry ${credential.Spec.Registry}, but image ${image} is pulled from ${registry}`,
    );
  }
}

/** hidePullAuth removes the reference from a spec the API shows (Swarm never shows PullOptions). */
export function hidePullAuth<T extends { ContainerSpec?: ContainerSpec } | undefined>(template: T): T {
  if (!template?.ContainerSpec?.BerthRegistryAuth) return template;
  const { BerthRegistryAuth: _ref, ...container } = template.ContainerSpec;
  return { ...template, ContainerSpec: container };
}
