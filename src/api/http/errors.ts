// The one place where errors become HTTP responses, always in Docker's shape {"message": "..."}:
// typed domain errors by their code, fastify's own request errors (bad body, too large) by their
// status, anything else as a logged 500 with a generic message.

import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { HTTP_STATUS } from '../../common/http-status.js';
import { drainRefusedBody, formatLimit } from '../../common/json-body.js';
import { BerthError } from '../../types/index.js';

export interface HttpError {
  status: number;
  message: string;
}

/** httpError maps an error to a status and a message for the client; undefined for unexpected errors. */
export function httpError(err: unknown, request: FastifyRequest): HttpError | undefined {
  if (err instanceof BerthError) return { status: HTTP_STATUS[err.code], message: err.message };
  const fe = err as Partial<FastifyError>;
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return tooLarge(request);
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return { status: fe.statusCode, message: fastifyMessage(fe) };
  }
  return undefined;
}

/** A body over the route's limit: the route's own words (Swarm's for secret and config data), or a 413. */
function tooLarge(request: FastifyRequest): HttpError {
  const limit = request.routeOptions.bodyLimit;
  const own = request.routeOptions.config.bodyTooLarge?.(limit);
  if (own instanceof BerthError) return { status: HTTP_STATUS[own.code], message: own.message };
  return { status: 413, message: `request body is too large: ${request.method} ${request.routeOptions.url} takes at most ${formatLimit(limit)}` };
}

function fastifyMessage(fe: Partial<FastifyError>): string {
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'unsupported Content-Type: send the body as application/json';
    default:
      return fe.message ?? 'bad request';
  }
}

export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => {
    const known = httpError(err, request);
    if (known) {
      if ((err as Partial<FastifyError>).code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        // Answered before the body was read: keep reading it, so that the client gets to read this.
        reply.removeHeader('connection');
        drainRefusedBody(request.raw);
      }
      return reply.code(known.status).send({ message: known.message });
    }
    request.log.error({ err, method: request.method, url: request.url }, 'api: unexpected error');
    return reply.code(500).send({ message: 'internal server error; the manager log has the details' });
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ message: 'page not found' }));
}
