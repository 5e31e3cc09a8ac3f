// /berth/v1/client-certificates on the API: issue (from the client's CSR: its key never leaves
// it), list and revoke the certificates that open the API.

import type { FastifyInstance } from 'fastify';
import { isObj } from '../common/is-object.js';
import type { ClientCertificates } from './clients.js';

const PATH = '/berth/v1/client-certificates';

export function clientCertificateRoutes(app: FastifyInstance, clients: ClientCertificates): void {
  app.get(PATH, () => clients.list());
  app.post(PATH, async (request, reply) => {
    const body = isObj(request.body) ? request.body : {};
    return reply.code(201).send(await clients.issue(body.Name, body.CSR, body.Role));
  });
  app.post<{ Params: { id: string } }>(`${PATH}/:id/revoke`, (request) => clients.revoke(request.params.id));
}
