// Admin API of the garbage collector: `POST /gc` runs it now and answers with the run
// (`{"dryRun": true}` only reports what it would free; `{"deleteUntagged": true}` also deletes old
// manifests no tag keeps); `GET /gc` shows the settings and the last runs. System administrators only.

import { InvalidArgumentError } from '../types/index.js';
import type { AdminRoutes } from './admin.js';
import type { GarbageCollector } from './gc.js';

const FIELDS = ['dryRun', 'deleteUntagged'];

export function gcRoutes(gc: GarbageCollector): AdminRoutes {
  return (app, ctx) => {
    app.post('/gc', async (request, reply) => {
      await ctx.guard(request, { admin: true });
      const body = (request.body ?? {}) as Record<string, unknown>;
      if (typeof body !== 'object' || Array.isArray(body)) throw new InvalidArgumentError('the body must be a JSON object such as {"dryRun": true}');
      for (const [field, value] of Object.entries(body)) {
        if (!FIELDS.includes(field)) throw new InvalidArgumentError(`unknown field ${JSON.stringify(field)}: a run takes ${FIELDS.join(' and ')}`);
        if (typeof value !== 'boolean') throw new InvalidArgumentError(`${field} must be true or false`);
      }
      const run = await gc.run({ dryRun: body.dryRun === true, deleteUntagged: body.deleteUntagged as boolean | undefined });
      return reply.code(200).send(run);
    });

    app.get('/gc', async (request) => {
      await ctx.guard(request, { admin: true });
      return { running: gc.running, graceSeconds: gc.graceMs / 1000, intervalSeconds: gc.intervalMs / 1000, deleteUntagged: gc.deleteUntagged, runs: await gc.history() };
    });
  };
}
