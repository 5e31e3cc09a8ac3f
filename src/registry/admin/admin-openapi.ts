// GET /berth/v1/registry/openapi.yaml: the admin API's OpenAPI description
// (docs/openapi/registry-admin.yaml), for anyone signed in, as every admin route asks.

import { openApiDescription, YAML_MEDIA_TYPE } from '../../common/openapi.js';
import type { AdminRoutes } from './admin.js';

export const openApiRoutes: AdminRoutes = (app, { guard }) => {
  app.get('/openapi.yaml', async (request, reply) => {
    await guard(request, { authenticated: true });
    return reply.type(YAML_MEDIA_TYPE).send(openApiDescription('registry-admin'));
  });
};
