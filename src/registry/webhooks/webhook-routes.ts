// Admin API of webhook policies, per project: `/projects/{name}/webhooks` list and create,
// `/projects/{name}/webhooks/{id}` show, replace (PUT, optimistic on `version` when given) and
// delete, `/projects/{name}/webhooks/{id}/deliveries` the latest deliveries. Project
// maintainers may read them, project administrators change them. The secret is never returned.
// A URL the outbound guard refuses (loopback, link-local, the cluster's own listeners) is a 400.

import { newId } from '../../common/ids.js';
import { InvalidArgumentError, NotFoundError, VersionConflictError, type RegistryWebhook, type RegistryWebhookSpec, type WebhookEventType } from '../../types/index.js';
import type { AdminContext, AdminRoutes } from '../admin/admin.js';
import type { WebhookNotifier } from './webhooks.js';
import { projectNotFound } from '../admin/projects.js';

const EVENT_TYPES: readonly WebhookEventType[] = ['push', 'pull', 'delete', 'quotaExceeded', 'replication'];

interface WebhookView {
  id: string;
  project: string;
  name: string;
  url: string;
  events: WebhookEventType[];
  enabled: boolean;
  hasSecret: boolean;
  version: number;
  createdAt: string;
  updatedAt: string;
}

const view = (w: RegistryWebhook): WebhookView => ({
  id: w.ID,
  project: w.Spec.Project,
  name: w.Spec.Name,
  url: w.Spec.Url,
  events: w.Spec.Events,
  enabled: w.Spec.Enabled,
  hasSecret: Boolean(w.Spec.Secret),
  version: w.Version.Index,
  createdAt: w.CreatedAt,
  updatedAt: w.UpdatedAt,
});

/** specFrom checks a create/replace body; `current` supplies the secret when the body leaves it out. */
function specFrom(project: string, body: unknown, current?: RegistryWebhookSpec): RegistryWebhookSpec {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidArgumentError('the body must be a JSON object such as {"url": "https://hooks.example/registry", "events": ["push"]}');
  }
  const b = body as Record<string, unknown>;
  let url: URL | undefined;
  try {
    url = typeof b.url === 'string' ? new URL(b.url) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) throw new InvalidArgumentError('url must be an http:// or https:// URL to POST events to');
  if (!Array.isArray(b.events) || b.events.length === 0 || !b.events.every((e) => EVENT_TYPES.includes(e as WebhookEventType))) {
    throw new InvalidArgumentError(`events must be a non-empty list of ${EVENT_TYPES.join(', ')}`);
  }
  if (b.name !== undefined && typeof b.name !== 'string') throw new InvalidArgumentError('name must be a string');
  if (b.secret !== undefined && typeof b.secret !== 'string') throw new InvalidArgumentError('secret must be a string ("" removes it)');
  if (b.enabled !== undefined && typeof b.enabled !== 'boolean') throw new InvalidArgumentError('enabled must be true or false');
  const secret = b.secret === undefined ? current?.Secret : b.secret || undefined;
  return {
    Project: project,
    Name: (b.name as string | undefined) ?? current?.Name ?? url.host,
    Url: url.toString(),
    Events: [...new Set(b.events as WebhookEventType[])],
    ...(secret ? { Secret: secret } : {}),
    Enabled: (b.enabled as boolean | undefined) ?? current?.Enabled ?? true,
  };
}

export function webhookRoutes(notifier: WebhookNotifier): AdminRoutes {
  return (app, ctx) => {
    type Params = { Params: { name: string; id: string } };
    const policy = (project: string, id: string): RegistryWebhook => {
      checkProject(ctx, project);
      const found = ctx.store.view((tx) => tx.registryWebhooks.get(id));
      if (!found || found.Spec.Project !== project) throw new NotFoundError(`webhook ${id} does not exist in project ${project}`);
      return found;
    };

    app.get<Params>('/projects/:name/webhooks', async (request) => {
      await ctx.guard(request, { project: request.params.name, resource: 'notification-policy', action: 'list' });
      checkProject(ctx, request.params.name);
      return ctx.store
        .view((tx) => tx.registryWebhooks.list())
        .filter((w) => w.Spec.Project === request.params.name)
        .map(view);
    });

    app.post<Params>('/projects/:name/webhooks', async (request, reply) => {
      await ctx.guard(request, { project: request.params.name, resource: 'notification-policy', action: 'create' });
      checkProject(ctx, request.params.name);
      const spec = specFrom(request.params.name, request.body);
      await notifier.checkUrl(spec.Url);
      const created = ctx.store.update((tx) => tx.registryWebhooks.create({ ID: newId(), Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: spec }));
      return reply.code(201).send(view(created));
    });

    app.get<Params>('/projects/:name/webhooks/:id', async (request) => {
      await ctx.guard(request, { project: request.params.name, resource: 'notification-policy', action: 'read' });
      return view(policy(request.params.name, request.params.id));
    });

    app.put<Params>('/projects/:name/webhooks/:id', async (request) => {
      await ctx.guard(request, { project: request.params.name, resource: 'notification-policy', action: 'update' });
      const { name, id } = request.params;
      const version = (request.body as { version?: unknown } | undefined)?.version;
      if (version !== undefined && typeof version !== 'number') throw new InvalidArgumentError('version must be the number a read returned');
      await notifier.checkUrl(specFrom(name, request.body, policy(name, id).Spec).Url);
      const updated = ctx.store.update((tx) => {
        const current = policy(name, id);
        if (version !== undefined && version !== current.Version.Index) {
          throw new VersionConflictError(`webhook ${id} is at version ${current.Version.Index}, not ${version}: read it again and retry`);
        }
        return tx.registryWebhooks.update({ ...current, Spec: specFrom(name, request.body, current.Spec) });
      });
      return view(updated);
    });

    app.delete<Params>('/projects/:name/webhooks/:id', async (request, reply) => {
      await ctx.guard(request, { project: request.params.name, resource: 'notification-policy', action: 'delete' });
      const found = policy(request.params.name, request.params.id);
      ctx.store.update((tx) => tx.registryWebhooks.delete(found.ID));
      notifier.forget(found.ID);
      return reply.code(204).send();
    });

    app.get<Params>('/projects/:name/webhooks/:id/deliveries', async (request) => {
      await ctx.guard(request, { project: request.params.name, resource: 'notification-policy', action: 'read' });
      return notifier.deliveries(policy(request.params.name, request.params.id).ID);
    });
  };
}

function checkProject(ctx: AdminContext, name: string): void {
  if (!ctx.store.view((tx) => tx.registryProjects.byName(name))) throw projectNotFound(name);
}
