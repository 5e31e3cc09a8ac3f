// The retention admin API: a project's policy (GET/PUT), running it now (dry or real), and the
// run history. The scheduler runs with the server and stops when it closes.

import { InvalidArgumentError } from '../../types/index.js';
import type { AdminRoutes } from '../admin/admin.js';
import { projectNamed, setProjectPolicy } from './project-policies.js';
import { Retention } from './retention.js';
import { parseRetentionPolicy } from './tag-rules.js';

type Params = { Params: { name: string }; Querystring: Record<string, string | undefined> };

function parseDryRun(value: string | undefined): boolean {
  if (value === undefined || value === 'false') return false;
  if (value === 'true' || value === '') return true;
  throw new InvalidArgumentError(`dryRun must be true or false, not "${value}"`);
}

export const retentionRoutes: AdminRoutes = (app, ctx) => {
  const retention = new Retention(ctx.store, ctx.driver, ctx.manifests, ctx.log);
  retention.start();
  app.addHook('onClose', async () => retention.stop());

  app.get<Params>('/projects/:name/retention', async (request) => {
    await ctx.guard(request, { project: request.params.name, resource: 'tag-retention', action: 'read' });
    return projectNamed(ctx.store, request.params.name).Spec.Retention ?? { Rules: [] };
  });
  app.put<Params>('/projects/:name/retention', async (request) => {
    await ctx.guard(request, { project: request.params.name, resource: 'tag-retention', action: 'update' });
    const policy = parseRetentionPolicy(request.body);
    setProjectPolicy(ctx.store, request.params.name, 'Retention', policy);
    retention.wake();
    return policy;
  });
  app.post<Params>('/projects/:name/retention/run', async (request) => {
    await ctx.guard(request, { project: request.params.name, resource: 'tag-retention', action: 'update' });
    const dryRun = parseDryRun(request.query.dryRun);
    return retention.run(request.params.name, { dryRun, trigger: 'manual' });
  });
  app.get<Params>('/projects/:name/retention/runs', async (request) => {
    await ctx.guard(request, { project: request.params.name, resource: 'tag-retention', action: 'list' });
    return retention.runs(request.params.name);
  });
};
