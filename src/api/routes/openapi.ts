// GET /berth/v1/openapi.yaml: the OpenAPI description of the Berth-only routes of this API
// (docs/openapi/manager.yaml), behind the same authentication as every other route.

import type { FastifyInstance } from 'fastify';
import { openApiDescription, YAML_MEDIA_TYPE } from '../../common/openapi.js';

export const OPENAPI_PATH = '/berth/v1/openapi.yaml';

export function openApiRoutes(app: FastifyInstance): void {
  app.get(OPENAPI_PATH, (_request, reply) => reply.type(YAML_MEDIA_TYPE).send(openApiDescription('manager')));
}
