// GET /distribution/{name}/json: the CLI asks it to pin an image to a digest before service
// create and update. Berth asks the image's registry, with the request's X-Registry-Auth.

import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../../types/index.js';
import { inspectDistribution } from '../services/distribution-inspect.js';

/** `rootFor` gives a root CA to verify a registry (HOST:PORT) with beside the system's, if any. */
export function distributionRoutes(app: FastifyInstance, rootFor?: (registry: string) => string | undefined): void {
  app.get<{ Params: { '*': string } }>('/distribution/*', async (request) => {
    const path = request.params['*'];
    if (!path.endsWith('/json')) throw new NotFoundError('page not found');
    const auth = request.headers['x-registry-auth'];
    return inspectDistribution(path.slice(0, -'/json'.length), typeof auth === 'string' && auth !== '' ? auth : undefined, rootFor);
  });
}
