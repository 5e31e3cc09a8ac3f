// Admin API of the garbage collector: `POST /gc` runs it now and answers with the finished run
// (`{"dryRun": true}` only reports what it would free; `{"deleteUntagged": true}` also deletes old
// manifests no tag keeps; `{"wait": false}` answers 202 at once, and `GET /gc/{id}` follows the
// run); `GET /gc` shows the settings and the last runs. System administrators only.

import { InvalidArgumentError, NotFoundError } from '../../types/index.js';
import type { AdminRoutes } from '../admin/admin.js';
import type { GarbageCollector } from './gc.js';

const FIELDS = ['dryRun', 'deleteUntagged', 'wait'];

export function gcRoutes(gc: GarbageCollector): AdminRoutes {
  return (app, ctx) => {
    app.post('/gc', async (request, reply) => {
      await ctx.guard(request, { admin: true });
      const body = (request.body ?? {}) as Record<string, unknown>;
      if (typeof body !== 'object' || Array.isArray(body)) throw new InvalidArgumentError('the body must be a JSON object such as {"dryRun": true}');
      for (const [field, value] of Object.entries(body)) {
        if (!FIELDS.includes(field)) throw new InvalidArgumentError(`unknown field ${JSON.stringify(field)}: a run takes ${FIELDS.join(', ')}`);
        if (typeof value !== 'boolean') throw new InvalidArgumentError(`${field} must be true or false`);
      }
      const { started, done } = await gc.begin({ dryRun: body.dryRun === true, deleteUntagged: body.deleteUntagged as boolean | undefined });
      // A failed run is an outcome like any other: its record says why (and the log has the details).
      const ended = done.catch(async (err: unknown) => (await gc.history().catch(() => [])).find((r) => r.id === started.id) ?? Promise.reject(err));
      if (body.wait !== false) return reply.code(200).send(await ended);
      ended.catch(() => undefined);
      return reply.code(202).header('Location', `${request.url.split('?')[0]}/${started.id}`).send(started);
    });

    app.get<{ Params: { id: string } }>('/gc/:id', async (request) => {
      await ctx.guard(request, { admin: true });
      const run = (await gc.history()).find((r) => String(r.id) === request.params.id);
      if (!run) throw new NotFoundError(`no garbage collection run ${request.params.id} among the last ones: list them with GET /berth/v1/registry/gc`);
      return run;
    });

    app.get('/gc', async (request) => {
      await ctx.guard(request, { admin: true });
      return { running: gc.running, graceSeconds: gc.graceMs / 1000, intervalSeconds: gc.intervalMs / 1000, cron: gc.cron ?? null, deleteUntagged: gc.deleteUntagged, runs: await gc.history() };
    });
  };
}
