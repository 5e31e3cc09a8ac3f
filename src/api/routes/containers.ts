// The Engine API's container routes over every node's task containers (docs/containers.md):
// `docker ps` fans out to the connected agents; inspect, logs, top, stats and exec reach the one
// node that runs the container, found from the store. Containers are made and removed only as
// service tasks: the routes that would do so answer with the `docker service` command to use.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { noteForAudit, type AuditNote } from '../../common/audit-note.js';
import { scopeOf, visibleTo } from '../../common/request-scope.js';
import { isObj } from '../../common/is-object.js';
import type { Store } from '../../store/index.js';
import { InvalidArgumentError, UnavailableError } from '../../types/index.js';
import type { ContainerLogQuery, ContainerPlace, ContainerSource, EngineFilters, ExecOptions } from '../../types/index.js';
import { engineAnswer, opened, relay } from '../containers/engine-answer.js';
import { nodeName, resolveContainer } from '../containers/resolve.js';
import { parseFilters } from '../http/filters.js';
import { boolParam, type ById } from '../http/http.js';
import { nodeNames } from '../../store/index.js';

/** The Engine API's content type for log streams before API 1.42, multiplexed or not. */
const RAW_STREAM = 'application/vnd.docker.raw-stream';

/** `docker ps` filters: dockerd's, and classic Swarm's `node` (an ID or hostname). */
const LIST_FILTERS = ['ancestor', 'before', 'expose', 'exited', 'health', 'id', 'isolation', 'is-task', 'label', 'name', 'network', 'publish', 'since', 'status', 'volume', 'node'];

const NOT_HERE = 'Berth runs containers only as the tasks of services';

export function containerRoutes(app: FastifyInstance, store: Store, source: ContainerSource | undefined): void {
  const containers = (): ContainerSource => {
    if (!source) throw new UnavailableError('containers are not reachable from this manager');
    return source;
  };
  const find = (request: FastifyRequest, ref: string): ContainerPlace => store.view((tx) => resolveContainer(tx, ref, visibleTo(request)));

  app.get<ById>('/containers/json', async (request) => {
    const q = request.query;
    const filters = parseFilters(q.filters, LIST_FILTERS);
    const limit = intParam(q.limit, 'limit', -1);
    const engineFilters: EngineFilters = {};
    for (const [k, v] of filters) if (!['node', 'is-task', 'before', 'since'].includes(k)) engineFilters[k] = [...v];
    // Every container here is a task's.
    if (filters.get('is-task')?.every((v) => v === 'false')) return [];
    const nodes = store.view((tx) => {
      const all = tx.nodes.list();
      const wanted = filters.get('node');
      return new Map(all.filter((n) => !wanted || wanted.some((w) => w === n.ID || nodeNames(n).includes(w))).map((n) => [n.ID, nodeName(tx, n.ID)]));
    });
    const answers = await containers().list({ op: 'list', all: boolParam(q.all) || limit > 0, size: boolParam(q.size), ...(limit > 0 && { limit }), filters: engineFilters }, [...nodes.keys()]);
    let list: Record<string, unknown>[] = answers.flatMap(({ nodeId, containers: found }) =>
      found.filter(isObj).map((c) => ({ ...c, Names: (Array.isArray(c.Names) ? c.Names : []).map((n) => `/${nodes.get(nodeId) ?? nodeId}${String(n)}`) })),
    );
    const scope = scopeOf(request);
    if (scope) {
      // A team member sees their teams' services' containers only.
      const mine = store.view((tx) => new Set(tx.tasks.list().filter((t) => scope(t.BerthService.Labels)).map((t) => t.Status.ContainerStatus?.ContainerID)));
      list = list.filter((c) => mine.has(String(c.Id)));
    }
    list.sort((a, b) => created(b) - created(a));
    list = around(list, filters.get('before'), filters.get('since'));
    return limit > 0 ? list.slice(0, limit) : list;
  });

  app.get<ById>('/containers/:id/json', async (request) => {
    const place = find(request, request.params.id);
    const r = await containers().call(place.nodeId, { op: 'inspect', container: place.containerId, size: boolParam(request.query.size) });
    const info = engineAnswer(r, `No such container: ${request.params.id}`, place);
    const node = store.view((tx) => tx.nodes.get(place.nodeId));
    // As classic Swarm showed it: where the container runs.
    return { ...(isObj(info) ? info : {}), Node: { ID: place.nodeId, Name: place.node, ...(node?.Status.Addr && { IP: node.Status.Addr, Addr: node.Status.Addr }) } };
  });

  app.get<ById>('/containers/:id/top', async (request) => {
    const place = find(request, request.params.id);
    const psArgs = request.query.ps_args;
    const r = await containers().call(place.nodeId, { op: 'top', container: place.containerId, ...(psArgs && { psArgs }) });
    return engineAnswer(r, `No such container: ${request.params.id}`, place);
  });

  app.get<ById>('/containers/:id/stats', async (request, reply) => {
    const place = find(request, request.params.id);
    const q = request.query;
    const stream = q.stream === undefined ? true : boolParam(q.stream);
    if (!stream || boolParam(q['one-shot'])) {
      const r = await containers().call(place.nodeId, { op: 'stats', container: place.containerId });
      return engineAnswer(r, `No such container: ${request.params.id}`, place);
    }
    const s = await opened(containers().stream(place.nodeId, { op: 'stats', container: place.containerId }), `No such container: ${request.params.id}`, place);
    return reply.header('Content-Type', 'application/json').send(relay(s, reply.raw));
  });

  app.get<ById>('/containers/:id/logs', async (request, reply) => {
    const place = find(request, request.params.id);
    const query = logQuery(request.query);
    const s = await opened(containers().stream(place.nodeId, { op: 'logs', container: place.containerId, query }), `No such container: ${request.params.id}`, place);
    return reply.header('Content-Type', RAW_STREAM).send(relay(s, reply.raw));
  });

  app.post<ById>('/containers/:id/exec', async (request, reply) => {
    const place = find(request, request.params.id);
    const options = execOptions(request.body);
    noteForAudit(request, { object: containerObject(place), command: options.Cmd });
    const r = await containers().call(place.nodeId, { op: 'exec-create', container: place.containerId, options });
    const created = engineAnswer(r, `No such container: ${request.params.id}`, place);
    const execId = isObj(created) && typeof created.Id === 'string' ? created.Id : undefined;
    if (!execId) throw new UnavailableError(`the engine of node ${place.node} gave no exec ID`);
    containers().rememberExec({ execId, place, cmd: options.Cmd, tty: !!options.Tty, stdin: !!options.AttachStdin });
    return reply.code(201).send({ Id: execId });
  });

  // What would make or remove a container outside a service is refused, naming what to run.
  app.post('/containers/create', async () => {
    throw new InvalidArgumentError(`${NOT_HERE}: plain containers cannot be created through the manager. Use \`docker service create\` (e.g. docker service create --name web IMAGE), or run the container on a node's own engine`);
  });
  app.post('/containers/prune', async () => {
    throw new InvalidArgumentError(`${NOT_HERE}: a service's ended task containers are removed with its task history (\`docker swarm update --task-history-limit N\`) or with \`docker service rm\``);
  });
  app.delete<ById>('/containers/:id', async (request) => {
    throw new InvalidArgumentError(`${NOT_HERE}: ${serviceOf(store, request, request.params.id)}'s containers are removed with it. Use \`docker service rm\` or \`docker service scale SERVICE=N\``);
  });
  app.post<{ Params: { id: string; action: string } }>('/containers/:id/:action', async (request) => {
    throw new InvalidArgumentError(`${NOT_HERE}: ${request.params.action} is not done to one of ${serviceOf(store, request, request.params.id)}'s containers through the manager. Use \`docker service update\`, \`docker service scale SERVICE=N\` or \`docker service rm\``);
  });
}

/** The audit log's object for a container: its ID, its name through the manager and its node. */
export function containerObject(place: ContainerPlace): AuditNote['object'] {
  return { Kind: 'container', ID: place.containerId, Name: `${place.node}/${place.name}`, Node: { ID: place.nodeId, Name: place.node } };
}

/** Names the service of a container reference for the refusals (a missing one is still a 404). */
function serviceOf(store: Store, request: FastifyRequest, ref: string): string {
  return store.view((tx) => {
    const place = resolveContainer(tx, ref, visibleTo(request));
    return `service ${tx.services.get(place.serviceId)?.Spec.Name ?? place.serviceId}`;
  });
}

function created(c: Record<string, unknown>): number {
  return typeof c.Created === 'number' ? c.Created : 0;
}

/** before/since name a container: only those created before (after) it, as dockerd filters. */
function around(list: Record<string, unknown>[], before: readonly string[] | undefined, since: readonly string[] | undefined): Record<string, unknown>[] {
  const at = (ref: string): number => {
    const input = ref.replace(/^\//, '');
    const c = list.find((x) => x.Id === input || (Array.isArray(x.Names) && x.Names.some((n) => String(n).replace(/^\//, '') === input || String(n).endsWith(`/${input}`)))) ??
      list.find((x) => typeof x.Id === 'string' && x.Id.startsWith(input));
    if (!c) throw new InvalidArgumentError(`No such container: ${ref}`);
    return created(c);
  };
  let out = list;
  for (const ref of before ?? []) out = out.filter((c) => created(c) < at(ref));
  for (const ref of since ?? []) out = out.filter((c) => created(c) > at(ref));
  return out;
}

function intParam(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new InvalidArgumentError(`invalid ${name} '${value}': give an integer`);
  return Number(value);
}

const UNIX_TIME = /^\d{1,12}(\.\d{1,9})?$/;

/** logQuery reads the query as dockerd does; bad values are refused before anything streams. */
function logQuery(q: FastifyRequest<ById>['query']): ContainerLogQuery {
  const stdout = boolParam(q.stdout);
  const stderr = boolParam(q.stderr);
  if (!stdout && !stderr) throw new InvalidArgumentError('Bad parameters: you must choose at least one stream');
  const tail = q.tail === undefined || q.tail === '' ? 'all' : q.tail;
  if (tail !== 'all' && !/^\d{1,9}$/.test(tail)) throw new InvalidArgumentError(`invalid tail '${tail}': give a number of lines or "all"`);
  const time = (name: 'since' | 'until'): string => {
    const v = q[name] ?? '';
    if (v !== '' && !UNIX_TIME.test(v)) throw new InvalidArgumentError(`invalid ${name} '${v}': give unix seconds with an optional fraction, e.g. 1700000000.5`);
    return v === '0' ? '' : v;
  };
  return { follow: boolParam(q.follow), stdout, stderr, timestamps: boolParam(q.timestamps), tail, since: time('since'), until: time('until') };
}

/** execOptions keeps the ExecConfig fields an exec may set, checking each one's type. */
function execOptions(body: unknown): ExecOptions {
  if (!isObj(body)) throw new InvalidArgumentError('the exec configuration must be a JSON object, e.g. {"Cmd": ["sh"], "AttachStdout": true}');
  const cmd = body.Cmd;
  if (!Array.isArray(cmd) || cmd.length === 0) throw new InvalidArgumentError('No exec command specified');
  if (!cmd.every((c) => typeof c === 'string')) throw new InvalidArgumentError('Cmd must be a list of strings');
  const out: ExecOptions = { Cmd: cmd as string[] };
  for (const k of ['AttachStdin', 'AttachStdout', 'AttachStderr', 'Tty', 'Privileged'] as const) {
    const v = body[k];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'boolean') throw new InvalidArgumentError(`${k} must be true or false`);
    out[k] = v;
  }
  for (const k of ['DetachKeys', 'User', 'WorkingDir'] as const) {
    const v = body[k];
    if (v === undefined || v === null || v === '') continue;
    if (typeof v !== 'string') throw new InvalidArgumentError(`${k} must be a string`);
    out[k] = v;
  }
  if (body.Env !== undefined && body.Env !== null) {
    if (!Array.isArray(body.Env) || !body.Env.every((e) => typeof e === 'string')) throw new InvalidArgumentError('Env must be a list of "KEY=value" strings');
    out.Env = body.Env as string[];
  }
  const size = body.ConsoleSize;
  if (Array.isArray(size) && size.length === 2 && size.every((n) => Number.isInteger(n) && n >= 0 && n <= 65535)) out.ConsoleSize = [size[0] as number, size[1] as number];
  return out;
}
