// /berth/v1/registry-credentials: the logins agents pull images with (Crane's registry credential
// management), Berth-only. Create, list, inspect, update (name fixed; a password left out is
// kept), delete (refused while a service pulls with it, naming the services). The password is
// stored sealed at rest and sent only to agents with the tasks that pull with it; no endpoint
// returns it. Which services use a credential: see src/common/pull-auth.ts.

import type { FastifyInstance } from 'fastify';
import { InvalidArgumentError, NotFoundError, AmbiguousError } from '../../types/index.js';
import type { RegistryCredential, RegistryCredentialSpec } from '../../types/index.js';
import type { ReadTx, Store } from '../../store/index.js';
import { newId } from '../../common/ids.js';
import { choosePullAuth, normalizeRegistry } from '../../common/pull-auth.js';
import { versionParam, type ById } from '../http/http.js';
import { schemaChecker } from '../validate/schema-check.js';

export const REGISTRY_CREDENTIALS_PATH = '/berth/v1/registry-credentials';
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;

const checkShape = schemaChecker<Partial<RegistryCredentialSpec>>('RegistryCredentialSpec', {
  type: 'object',
  properties: {
    Name: { type: 'string' },
    Labels: { type: 'object', additionalProperties: { type: 'string' } },
    Registry: { type: 'string' },
    Username: { type: 'string' },
    Password: { type: 'string' },
  },
  additionalProperties: false,
});

export function registryCredentialRoutes(app: FastifyInstance, store: Store): void {
  app.get(REGISTRY_CREDENTIALS_PATH, () => store.view((tx) => tx.registryCredentials.list().map(present)));

  app.post(REGISTRY_CREDENTIALS_PATH, (request, reply) => {
    const spec = validate(checkShape(request.body ?? {}), undefined);
    const created = store.update((tx) => tx.registryCredentials.create({ ID: newId(), Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: spec }));
    return reply.code(201).send({ ID: created.ID });
  });

  app.get<ById>(`${REGISTRY_CREDENTIALS_PATH}/:id`, (request) => store.view((tx) => present(find(tx, request.params.id))));

  app.post<ById>(`${REGISTRY_CREDENTIALS_PATH}/:id/update`, (request, reply) => {
    const version = versionParam(request.query.version, 'registry credential');
    const requested = checkShape(request.body ?? {});
    store.update((tx) => {
      const current = find(tx, request.params.id);
      tx.registryCredentials.update({ ...current, Spec: validate(requested, current.Spec), Version: { Index: version } });
    });
    return reply.code(200).send();
  });

  app.delete<ById>(`${REGISTRY_CREDENTIALS_PATH}/:id`, (request, reply) => {
    store.update((tx) => {
      const credential = find(tx, request.params.id);
      const users = servicesUsing(tx, credential);
      if (users.length > 0) {
        throw new InvalidArgumentError(
          `registry credential '${credential.Spec.Name}' is in use by the following ${users.length === 1 ? 'service' : 'services'}: ${users.join(', ')}: remove the services, or point them at another credential (label berth.registry-credential), first`,
        );
      }
      tx.registryCredentials.delete(credential.ID);
    });
    return reply.code(204).send();
  });
}

/** servicesUsing names the services whose tasks would pull with the credential now. */
function servicesUsing(tx: ReadTx, credential: RegistryCredential): string[] {
  const sources = {
    credentialByName: (n: string) => tx.registryCredentials.byName(n),
    credentials: () => tx.registryCredentials.list(),
    serviceAuth: (id: string) => tx.serviceRegistryAuths.get(id),
  };
  return tx.services
    .list()
    .filter((s) => {
      const c = s.Spec.TaskTemplate?.ContainerSpec;
      const choice = choosePullAuth(c?.Image ?? '', s.Spec.Labels, c?.BerthRegistryAuth, sources);
      return choice?.kind === 'credential' && choice.credential.ID === credential.ID;
    })
    .map((s) => s.Spec.Name ?? s.ID)
    .sort();
}

/** validate checks a create (current undefined) or the spec after an update; it names the field and the fix. */
function validate(body: Partial<RegistryCredentialSpec>, current: RegistryCredentialSpec | undefined): RegistryCredentialSpec {
  const name = body.Name ?? current?.Name ?? '';
  if (current && name !== current.Name) throw new InvalidArgumentError(`a registry credential can't be renamed (${current.Name} to ${name}): create a new one`);
  if (!NAME_RE.test(name)) throw new InvalidArgumentError(`invalid Name ${JSON.stringify(name)}: 1 to 63 characters [a-zA-Z0-9_.-], starting with a letter or digit`);
  const rawRegistry = body.Registry ?? current?.Registry ?? '';
  const registry = normalizeRegistry(rawRegistry);
  if (!registry) throw new InvalidArgumentError(`invalid Registry ${JSON.stringify(rawRegistry)}: give the registry's host[:port] as image names spell it, e.g. registry.example.com:5000 or docker.io`);
  const username = body.Username ?? current?.Username ?? '';
  if (!username) throw new InvalidArgumentError('invalid Username: it must not be empty');
  const password = body.Password ?? current?.Password ?? '';
  if (!password) throw new InvalidArgumentError('invalid Password: it must not be empty');
  const labels = body.Labels ?? current?.Labels;
  return { Name: name, ...(labels && { Labels: labels }), Registry: registry, Username: username, Password: password };
}

function find(tx: ReadTx, input: string): RegistryCredential {
  const exact = tx.registryCredentials.get(input) ?? tx.registryCredentials.byName(input);
  if (exact) return exact;
  const matches = input ? tx.registryCredentials.list().filter((c) => c.ID.startsWith(input)) : [];
  if (matches.length === 0) throw new NotFoundError(`registry credential ${input} not found`);
  if (matches.length > 1) throw new AmbiguousError(`registry credential ${input} is ambiguous (${matches.length} matches found)`);
  return matches[0]!;
}

/** A credential as every endpoint shows it: never its password. */
function present(c: RegistryCredential): RegistryCredential {
  const { Password: _password, ...spec } = c.Spec;
  return { ...c, Spec: spec };
}
