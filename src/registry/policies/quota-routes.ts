// Admin API of project quotas: `GET /projects/{name}/quota` (members and administrators) shows
// the quota and the usage, `GET /quotas` those of every project the caller may see them of;
// `PUT /projects/{name}/quota` `{"quotaBytes": N}` (administrators; -1 = unlimited) sets it.
// Projects themselves are created and listed by the projects API.

import { InvalidArgumentError, type RegistryProject } from '../../types/index.js';
import type { AdminRoutes } from '../admin/admin.js';
import { UNLIMITED } from './quotas.js';
import type { UsageAccountant } from './usage.js';
import { projectNotFound } from '../admin/projects.js';
import { callerOf } from '../auth/credentials.js';
import { mayInProject } from '../auth/project-rights.js';

interface QuotaView {
  project: string;
  quotaBytes: number;
  usedBytes: number;
  blobs: number;
  manifests: number;
}

export function quotaRoutes(usage: UsageAccountant): AdminRoutes {
  return (app, ctx) => {
    const project = (name: string): RegistryProject => {
      const found = ctx.store.view((tx) => tx.registryProjects.byName(name));
      if (!found) throw projectNotFound(name);
      return found;
    };
    const view = async (p: RegistryProject): Promise<QuotaView> => {
      const used = await usage.usage(p.Spec.Name);
      return { project: p.Spec.Name, quotaBytes: p.Spec.QuotaBytes, usedBytes: used.bytes, blobs: used.blobs.size, manifests: used.manifests };
    };

    // Every quota the caller may read (all for a system administrator), for a dashboard: Harbor's GET /quotas.
    app.get('/quotas', async (request) => {
      const me = await ctx.guard(request, { authenticated: true });
      const caller = me.caller ?? callerOf(ctx.store, me.name);
      const readable = ctx.store.view((tx) => tx.registryProjects.list()).filter((p) => me.admin || mayInProject(caller, p, 'quota', 'read'));
      return Promise.all(readable.sort((a, b) => a.Spec.Name.localeCompare(b.Spec.Name)).map(view));
    });

    app.get<{ Params: { name: string } }>('/projects/:name/quota', async (request) => {
      await ctx.guard(request, { project: request.params.name, resource: 'quota', action: 'read' });
      return view(project(request.params.name));
    });

    app.put<{ Params: { name: string } }>('/projects/:name/quota', async (request) => {
      await ctx.guard(request, { admin: true });
      const body = request.body as { quotaBytes?: unknown } | undefined;
      const quota = body?.quotaBytes;
      if (typeof quota !== 'number' || !Number.isSafeInteger(quota) || quota < UNLIMITED) {
        throw new InvalidArgumentError('quotaBytes must be a whole number of bytes, or -1 for no quota: send {"quotaBytes": 1073741824}');
      }
      const updated = ctx.store.update((tx) => {
        const current = tx.registryProjects.byName(request.params.name);
        if (!current) throw projectNotFound(request.params.name);
        return tx.registryProjects.update({ ...current, Spec: { ...current.Spec, QuotaBytes: quota } });
      });
      ctx.log.info({ project: updated.Spec.Name, quotaBytes: quota }, 'registry: project quota set');
      return view(updated);
    });
  };
}
