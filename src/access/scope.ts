// Team-scoped access (Portainer's resource ownership): a caller who reaches a route only through
// their teams sees and changes only what those teams own — services, tasks, secrets, configs and
// networks labelled `berth.team=TEAM` or in a stack (`com.docker.stack.namespace`) the team owns.
// Another team's object answers 404, as if it did not exist; lists leave it out; what a member
// creates must be their team's, and may use only their team's secrets, configs and networks.
// Bind mounts, volume driver options and added capabilities reach the node itself: they stay
// with cluster operators.
// Task containers and execs follow their service, and the event stream keeps the teams' objects'
// events (common/request-scope.ts, asked by their routes).

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { limitRequest } from '../common/request-scope.js';
import { findConfig, findNetwork, findSecret, findService, findTask, type ReadTx, type Store } from '../store/index.js';
import { ForbiddenError, NotFoundError, type Labels, type ServiceSpec, type TeamGrant } from '../types/index.js';

export const TEAM_LABEL = 'berth.team';
export const STACK_LABEL = 'com.docker.stack.namespace';

/** ownedBy says whether objects with these labels belong to one of the teams. */
export function ownedBy(labels: Labels | undefined, teams: readonly TeamGrant[]): boolean {
  const team = labels?.[TEAM_LABEL];
  const stack = labels?.[STACK_LABEL];
  return teams.some((t) => t.Team === team || (stack !== undefined && t.Stacks.includes(stack)));
}

type Collection = 'services' | 'tasks' | 'secrets' | 'configs' | 'networks';
const NOUN: Record<Collection, string> = { services: 'service', tasks: 'task', secrets: 'secret', configs: 'config', networks: 'network' };

/** labelsOf gives the owner labels of the object a path names, or undefined when there is none (the route answers its own 404). */
function labelsOf(tx: ReadTx, collection: Collection, ref: string): Labels | undefined {
  try {
    switch (collection) {
      case 'services':
        return findService(tx, ref).Spec.Labels ?? {};
      case 'tasks':
        return findTask(tx, ref).BerthService.Labels;
      case 'secrets':
        return findSecret(tx, ref).Spec.Labels ?? {};
      case 'configs':
        return findConfig(tx, ref).Spec.Labels ?? {};
      case 'networks':
        return findNetwork(tx, ref).Spec.Labels ?? {};
    }
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}

export interface TeamScope {
  /** limit holds this request to what `teams` own; `member` is every team of the caller (what they may see). */
  limit(request: FastifyRequest, teams: readonly TeamGrant[], member: readonly TeamGrant[]): void;
}

export function teamScope(app: FastifyInstance, store: Store): TeamScope {
  const limited = new WeakMap<FastifyRequest, readonly TeamGrant[]>();
  const memberOf = new WeakMap<FastifyRequest, readonly TeamGrant[]>();

  app.addHook('preHandler', async (request) => {
    const teams = limited.get(request);
    if (!teams) return;
    const route = request.routeOptions.url!;
    const collection = route.split('/')[1] as Collection;
    if (!(collection in NOUN)) return;
    const id = (request.params as { id?: string }).id;
    store.view((tx) => {
      if (id !== undefined) {
        const labels = labelsOf(tx, collection, id);
        if (labels !== undefined && !ownedBy(labels, teams)) {
          // What the caller may see but not change is refused; what they may not see does not exist.
          const seen = memberOf.get(request)!.filter((t) => ownedBy(labels, [t]));
          if (seen.length > 0) throw new ForbiddenError(`access denied: ${request.method} ${route} takes the operator role in the team that owns ${NOUN[collection]} ${id}; you are ${seen.map((t) => `${t.Role} in ${t.Team}`).join(', ')}`);
          throw new NotFoundError(`${NOUN[collection]} ${id} not found`);
        }
      }
      if (request.method === 'POST' && (route.endsWith('/create') || route.endsWith('/update')) && collection !== 'tasks') {
        checkWrite(tx, collection, (request.body ?? {}) as Partial<ServiceSpec>, teams);
      }
    });
  });

  // Lists keep only the teams' objects (after the route's own filters).
  app.addHook('preSerialization', async (request, _reply, payload: unknown) => {
    const teams = limited.get(request);
    if (!teams || request.method !== 'GET' || !Array.isArray(payload)) return payload;
    const collection = request.routeOptions.url!.split('/')[1] as Collection;
    if (!(collection in NOUN)) return payload;
    return store.view((tx) =>
      payload.filter((item: { Spec?: { Labels?: Labels }; Labels?: Labels; ServiceID?: string }) => {
        if (collection === 'tasks') return ownedBy(tx.services.get(item.ServiceID ?? '')?.Spec.Labels, teams);
        if (collection === 'networks') return ownedBy(item.Labels, teams);
        return ownedBy(item.Spec?.Labels, teams);
      }),
    );
  });

  return {
    limit(request, teams, member) {
      limited.set(request, teams);
      memberOf.set(request, member);
      // Task containers, execs and events, and a stack's objects, are resolved by their routes, which ask this.
      limitRequest(request, (labels) => ownedBy(labels, teams), (collection, spec) => store.view((tx) => checkWrite(tx, collection, spec, teams)));
    },
  };
}

/** checkWrite refuses a team member an object their teams would not own, or a service using what is not theirs. */
function checkWrite(tx: ReadTx, collection: Exclude<Collection, 'tasks'>, spec: Partial<ServiceSpec> & { Labels?: Labels }, teams: readonly TeamGrant[]): void {
  if (!ownedBy(spec.Labels, teams)) {
    const names = teams.map((t) => `${t.Team}${t.Stacks.length ? ` (stacks ${t.Stacks.join(', ')})` : ''}`).join(', ');
    throw new ForbiddenError(`a ${NOUN[collection]} you create or change must belong to your team: deploy it in a stack your team owns or label it ${TEAM_LABEL}=TEAM (your teams: ${names})`);
  }
  if (collection === 'services') checkServiceRefs(tx, spec, teams);
}

/** A team's service uses only its team's secrets, configs and networks, and nothing that reaches the node itself. */
function checkServiceRefs(tx: ReadTx, spec: Partial<ServiceSpec>, teams: readonly TeamGrant[]): void {
  const template = spec.TaskTemplate;
  const container = template?.ContainerSpec;
  const mine = (collection: Collection, ref: string | undefined): void => {
    if (!ref) return;
    const labels = labelsOf(tx, collection, ref);
    // An unknown one is the service's own validation's to refuse; another team's is as unknown.
    if (labels !== undefined && !ownedBy(labels, teams)) throw new NotFoundError(`${NOUN[collection]} ${ref} not found`);
  };
  for (const s of container?.Secrets ?? []) mine('secrets', s.SecretID || s.SecretName);
  for (const c of container?.Configs ?? []) mine('configs', c.ConfigID || c.ConfigName);
  for (const n of [...(template?.Networks ?? []), ...(spec.Networks ?? [])]) mine('networks', n.Target);
  if ((container?.Mounts ?? []).some((m) => m.Type === 'bind')) {
    throw new ForbiddenError('team members may not use bind mounts: they reach the node\'s own files; use a volume, or ask a cluster operator');
  }
  // The local driver's options make a volume a bind mount in disguise (o=bind, device=/).
  if ((container?.Mounts ?? []).some((m) => Object.keys(m.VolumeOptions?.DriverConfig?.Options ?? {}).length > 0)) {
    throw new ForbiddenError('team members may not give volume driver options (volume-opt): they can mount the node\'s own files; use a plain volume, or ask a cluster operator');
  }
  if ((container?.CapabilityAdd ?? []).length > 0) {
    throw new ForbiddenError('team members may not add capabilities: ask a cluster operator');
  }
}
