// Admin API of the garbage collector: `POST /gc` runs it now (`{"dryRun": true}` only reports what
// it would free) and answers with the run; `GET /gc` shows the settings and the last runs.
// System administrators only.

import { InvalidArgumentError } from '../types/index.js';
import type { AdminRoutes } from './admin.js';
import type { GarbageCollector } from './gc.js';

export function gcRoutes(gc: GarbageCollector): AdminRoutes {
  return (app, ctx) => {
    app.post('/gc', async (request, reply) => {
      await ctx.guard(request, { admin: true });
      const body = (request.body ?? {}) as Record<string, unknown>;
      if (typeof body !== 'object' || Array.isArray(body)) throw new InvalidArgumentError('the body must be a JSON object such as {"dryRun": true}');
      if (body.dryRun !== undefined && typeof body.dryRun !== 'boolean') throw new InvalidArgumentError('dryRun must be true or false');
      const run = await gc.run({ dryRun: body.dryRun === true });
      return reply.code(200).send(run);
    });

    app.get('/gc', async (request) => {
      await ctx.guard(request, { admin: true });
      return { running: gc.running, graceSeconds: gc.graceMs / 1000, intervalSeconds: gc.intervalMs / 1000, runs: gc.history() };
    });
  };
}
