// GET /distribution/{name}/json: the CLI asks it to pin an image to a digest before create and
// update. Berth cannot resolve digests until it talks to registries; the CLI treats the error as
// a warning and creates the service with the image as written.

import type { FastifyInstance } from 'fastify';
import { NotFoundError, NotImplementedError } from '../../types/index.js';

export function distributionRoutes(app: FastifyInstance): void {
  app.get<{ Params: { '*': string } }>('/distribution/*', (request) => {
    const path = request.params['*'];
    if (!path.endsWith('/json')) throw new NotFoundError('page not found');
    const image = path.slice(0, -'/json'.length);
    throw new NotImplementedError(
      `can't resolve ${image} to a digest: image digest resolution needs Berth's registry support, which is not available yet; each node pulls the image as written`,
    );
  });
}
