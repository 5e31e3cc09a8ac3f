// GET /services/{id}/logs and /tasks/{id}/logs: the logs `docker service logs` reads, streamed
// from the manager's log broker (docs/logs.md). The response starts at once (headers flushed);
// the client's pace sets how fast the agents send, and its going away ends the subscription.

import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { parseUnixTimestamp } from '../../common/log-time.js';
import type { Store } from '../../store/index.js';
import { InvalidArgumentError, UnavailableError } from '../../types/index.js';
import type { LogRequest, LogSource, LogSubscription } from '../../types/index.js';
import { boolParam, type ById } from '../http/http.js';
import { encodeEvent, type LogFormat } from '../present/log-format.js';
import { findService, findTask } from '../../store/index.js';

/** The Engine API's content type for log streams before API 1.42, multiplexed or not. */
const RAW_STREAM = 'application/vnd.docker.raw-stream';

export function logRoutes(app: FastifyInstance, store: Store, logs: LogSource | undefined): void {
  app.get<ById>('/services/:id/logs', (request, reply) => {
    const service = store.view((tx) => findService(tx, request.params.id));
    const tty = !!service.Spec.TaskTemplate?.ContainerSpec?.TTY;
    return stream(reply, logs, { serviceId: service.ID, ...options(request.query) }, request.query, tty);
  });

  app.get<ById>('/tasks/:id/logs', (request, reply) => {
    const task = store.view((tx) => findTask(tx, request.params.id));
    const tty = !!task.Spec.ContainerSpec?.TTY;
    return stream(reply, logs, { taskId: task.ID, ...options(request.query) }, request.query, tty);
  });
}

/** options reads the query as the Engine does; bad values are refused before anything streams. */
function options(query: ById['Querystring']): Omit<LogRequest, 'serviceId' | 'taskId'> {
  const stdout = boolParam(query.stdout);
  const stderr = boolParam(query.stderr);
  if (!stdout && !stderr) throw new InvalidArgumentError('Bad parameters: you must choose at least one stream (stdout=1 and/or stderr=1)');
  const request: Omit<LogRequest, 'serviceId' | 'taskId'> = { follow: boolParam(query.follow), stdout, stderr };
  const tail = query.tail ?? '';
  if (tail !== '' && tail !== 'all') {
    if (/^-\d+$/.test(tail)) throw new InvalidArgumentError('negative tail values not supported');
    if (!/^\d+$/.test(tail) || !Number.isSafeInteger(Number(tail))) throw new InvalidArgumentError('tail value must be a positive integer or "all"');
    request.tail = Number(tail);
  }
  const since = query.since ?? '';
  if (since !== '') {
    const fixed = parseUnixTimestamp(since);
    if (!fixed) throw new InvalidArgumentError(`could not parse since timestamp "${since}": give unix seconds with an optional fraction, e.g. 1700000000.5`);
    request.since = fixed;
  }
  return request;
}

function stream(reply: FastifyReply, logs: LogSource | undefined, request: LogRequest, query: ById['Querystring'], tty: boolean): FastifyReply {
  if (!logs) throw new UnavailableError('logs are not available from this manager');
  const format: LogFormat = { timestamps: boolParam(query.timestamps), details: boolParam(query.details), mux: !tty };
  const sub = logs.subscribe(request);
  const body = Readable.from(encode(sub, format), { highWaterMark: 1 });
  // Destroying the body (the client went away) cannot interrupt a pending read: close directly.
  body.once('close', () => sub.close());
  return reply.header('Content-Type', RAW_STREAM).send(body);
}

async function* encode(sub: LogSubscription, format: LogFormat): AsyncGenerator<Buffer> {
  // An empty first write sends the headers now, as the Engine does: a client following a quiet
  // service sees its request accepted.
  yield Buffer.alloc(0);
  for await (const events of sub) yield Buffer.concat(events.map((e) => encodeEvent(e, format)));
}
