// The one place where errors become HTTP responses, always in Docker's shape {"message": "..."}:
// typed domain errors by their code, fastify's own request errors (bad body, too large) by their
// status, anything else as a logged 500 with a generic message.

import type { FastifyError, FastifyInstance } from 'fastify';
import { HTTP_STATUS } from '../common/http-status.js';
import { BerthError } from '../types/index.js';
import { BODY_LIMIT } from './http.js';

export interface HttpError {
  status: number;
  message: string;
}

/** httpError maps an error to a status and a message for the client; undefined for unexpected errors. */
export function httpError(err: unknown): HttpError | undefined {
  if (err instanceof BerthError) return { status: HTTP_STATUS[err.code], message: err.message };
  const fe = err as Partial<FastifyError>;
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return { status: fe.statusCode, message: fastifyMessage(fe) };
  }
  return undefined;
}

function fastifyMessage(fe: Partial<FastifyError>): string {
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return `request body is too large: the limit is ${BODY_LIMIT / 1024 / 1024} MiB`;
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'unsupported Content-Type: send the body as application/json';
    default:
      return fe.message ?? 'bad request';
  }
}

export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => {
    const known = httpError(err);
    if (known) return reply.code(known.status).send({ message: known.message });
    request.log.error({ err, method: request.method, url: request.url }, 'api: unexpected error');
    return reply.code(500).send({ message: 'internal server error; the manager log has the details' });
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ message: 'page not found' }));
}
