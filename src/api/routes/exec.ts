// The Engine API's exec routes (docs/containers.md): an exec made through the manager
// (POST /containers/{id}/exec) is started, resized and inspected on the node that runs its
// container. Start takes the connection over as dockerd does — 101 UPGRADED, then the raw
// stream both ways (stdin in, output out, multiplexed unless a TTY) — or, without Upgrade,
// answers 200 with the output and no stdin.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Socket } from 'node:net';
import { noteForAudit } from '../../common/audit-note.js';
import { joinStreams } from '../../common/join-streams.js';
import { visibleTo } from '../../common/request-scope.js';
import type { Store } from '../../store/index.js';
import { isObj } from '../../common/is-object.js';
import { InvalidArgumentError, NotFoundError, UnavailableError } from '../../types/index.js';
import type { ContainerSource, ExecPlace } from '../../types/index.js';
import { engineAnswer, opened, relay } from '../containers/engine-answer.js';
import { boolParam, type ById } from '../http/http.js';
import { isUpgrade } from '../http/upgrade.js';
import { containerObject } from './containers.js';

const RAW_STREAM = 'application/vnd.docker.raw-stream';

/** execFinder finds an exec made through this manager among those the request may see. */
export function execFinder(store: Store, source: ContainerSource | undefined): (request: FastifyRequest, id: string) => { exec: ExecPlace; containers: ContainerSource } {
  return (request, id) => {
    if (!source) throw new UnavailableError('containers are not reachable from this manager');
    const exec = source.exec(id);
    // An exec in a container the caller may not see (another team's) does not exist for them.
    const visible = visibleTo(request);
    if (!exec || !visible(store.view((tx) => tx.tasks.get(exec.place.taskId)?.BerthService.Labels))) throw new NotFoundError(`No such exec instance: ${id}`);
    return { exec, containers: source };
  };
}

export function execRoutes(app: FastifyInstance, store: Store, source: ContainerSource | undefined): void {
  const find = execFinder(store, source);

  app.get<ById>('/exec/:id/json', async (request) => {
    const { exec, containers } = find(request, request.params.id);
    const r = await containers.call(exec.place.nodeId, { op: 'exec-inspect', exec: exec.execId });
    return engineAnswer(r, `No such exec instance: ${request.params.id}`, exec.place);
  });

  app.post<ById>('/exec/:id/resize', async (request) => {
    const { exec, containers } = find(request, request.params.id);
    const h = dimension(request.query.h, 'h');
    const w = dimension(request.query.w, 'w');
    const r = await containers.call(exec.place.nodeId, { op: 'exec-resize', exec: exec.execId, h, w });
    engineAnswer(r, `No such exec instance: ${request.params.id}`, exec.place);
    return '';
  });

  app.post<ById>('/exec/:id/start', async (request, reply) => {
    const { exec, containers } = find(request, request.params.id);
    noteForAudit(request, { object: containerObject(exec.place), command: exec.cmd });
    const body = request.body ?? {};
    if (!isObj(body)) throw new InvalidArgumentError('the exec start body must be a JSON object, e.g. {"Detach": false, "Tty": true}');
    const missing = `No such exec instance: ${request.params.id}`;
    if (boolParam(String(body.Detach ?? false))) {
      engineAnswer(await containers.call(exec.place.nodeId, { op: 'exec-start-detached', exec: exec.execId }), missing, exec.place);
      return '';
    }
    const upgrade = isUpgrade(request.raw);
    // Without an upgrade the connection stays HTTP's: the output only, stdin closed at once.
    const stream = await opened(containers.stream(exec.place.nodeId, { op: 'exec', exec: exec.execId, tty: exec.tty, stdin: exec.stdin && upgrade }), missing, exec.place);
    if (!upgrade) return reply.header('Content-Type', RAW_STREAM).send(relay(stream, reply.raw));
    const socket = request.raw.socket as Socket;
    // Either side going away ends the other, and the engine's exec stream on the node.
    reply.raw.once('finish', () => joinStreams(socket, stream));
    reply.raw.statusMessage = 'UPGRADED';
    return reply.code(101).headers({ 'Content-Type': RAW_STREAM, Connection: 'Upgrade', Upgrade: 'tcp' }).send();
  });
}

function dimension(value: string | undefined, name: string): number {
  if (value === undefined || !/^\d{1,5}$/.test(value)) throw new InvalidArgumentError(`invalid ${name} '${value ?? ''}': give the terminal's size as a whole number of ${name === 'h' ? 'rows' : 'columns'}`);
  return Number(value);
}
