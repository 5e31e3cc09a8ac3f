// Berth's registry administration API, `/berth/v1/registry/...` on the registry's own port (so a
// registry running alone has it too). Every feature (users and projects, policies, replication,
// webhooks, GC) adds its routes through `AdminRoutes`; each route asks the one `AdminGuard` who
// the caller is and whether they may act. Bodies are JSON; errors are Berth's `{"message"}`.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from '../../common/log.js';
import type { Store } from '../../store/index.js';
import { HTTP_STATUS } from '../../common/http-status.js';
import { decodeJsonBody, drainRefusedBody, formatLimit } from '../../common/json-body.js';
import { BerthError } from '../../types/index.js';
import type { Action } from '../auth/access.js';
import type { Caller } from '../auth/permissions.js';
import type { ProjectResource, ResourceAction } from '../auth/project-rights.js';
import type { RegistryEvents } from '../events.js';
import type { ManifestStore } from '../storage/manifest-store.js';
import type { StorageDriver } from '../storage/storage-driver.js';

export const ADMIN_PREFIX = '/berth/v1/registry';

/** Admin bodies are small settings objects (a user, a policy, a webhook); 1 MiB is far beyond any. */
export const ADMIN_BODY_LIMIT = 1024 * 1024;

/** Who made a request, once authenticated. */
export interface Principal {
  /** A user's name, a robot's full name (`robot$...`), or "" for anonymous. */
  name: string;
  /** System administrator (every permission). */
  admin: boolean;
  robot: boolean;
  /** The caller the guard resolved (absent from guards that trust everyone). */
  caller?: Caller;
  /** Set when the caller came with a platform token or session (`berth_...`). */
  platform?: 'token' | 'session';
}

/**
 * What a route needs: a system administrator, Harbor's right to act on a resource of `project`,
 * an action on its repositories (what /v2/ asks: pull to read them, delete to delete a tag), or
 * only to be signed in.
 */
export type Need =
  | { admin: true }
  | { project: string; resource: ProjectResource; action: ResourceAction }
  | { project: string; repository: Action }
  | { authenticated: true };

/**
 * AdminGuard authenticates the request and checks `need`; it resolves with the caller, or throws
 * a BerthError (UNAUTHORIZED when unauthenticated, FORBIDDEN when not allowed).
 */
export type AdminGuard = (request: FastifyRequest, need: Need) => Promise<Principal>;

export interface AdminContext {
  store: Store;
  guard: AdminGuard;
  driver: StorageDriver;
  events: RegistryEvents;
  /** Changes to tags and manifests go through it, so guards are asked and events fire. */
  manifests: ManifestStore;
  log: Logger;
}

/** One feature's admin routes, registered under ADMIN_PREFIX. */
export type AdminRoutes = (app: FastifyInstance, ctx: AdminContext) => void;

/**
 * registerAdmin mounts every feature's routes in one scope with JSON bodies (depth-limited, large
 * ones parsed in their turn: see json-body.ts) and Berth's error shape.
 */
function fieldOf(payload: string, field: string): string | undefined {
  try {
    const v = (JSON.parse(payload) as Record<string, unknown>)[field];
    return typeof v === 'string' ? v.slice(0, 1024) : undefined;
  } catch {
    return undefined;
  }
}

export function registerAdmin(app: FastifyInstance, ctx: AdminContext, routes: AdminRoutes[]): void {
  void app.register(
    async (scope) => {
      scope.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: ADMIN_BODY_LIMIT }, (_request, body, done) =>
        decodeJsonBody(body as string, done),
      );
      scope.setErrorHandler((err, request, reply) => {
        if (err instanceof BerthError) {
          if (err.code === 'UNAUTHORIZED') reply.header('WWW-Authenticate', 'Basic realm="berth-registry"');
          return reply.code(HTTP_STATUS[err.code]).send({ message: err.message });
        }
        if ((err as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
          // Answered before the body was read: keep reading it, so that the client gets to read this.
          reply.removeHeader('connection');
          drainRefusedBody(request.raw);
          return reply.code(413).send({ message: `request body is too large: the admin API takes at most ${formatLimit(ADMIN_BODY_LIMIT)}` });
        }
        const status = (err as { statusCode?: number }).statusCode;
        if (typeof status === 'number' && status >= 400 && status < 500) return reply.code(status).send({ message: (err as Error).message });
        ctx.log.error({ err, method: request.method, url: request.url }, 'registry admin: unexpected error');
        return reply.code(500).send({ message: 'internal error; the registry log has the details' });
      });
      // Every change through this API is told to the events' admin listeners, with who made it.
      const principals = new WeakMap<FastifyRequest, Principal>();
      const guard: AdminGuard = async (request, need) => {
        const principal = await ctx.guard(request, need);
        principals.set(request, principal);
        return principal;
      };
      scope.addHook('onSend', async (request, reply, payload) => {
        if (request.method === 'GET' || request.method === 'HEAD') return payload;
        const header = request.headers.authorization ?? '';
        const principal = principals.get(request);
        const error = reply.statusCode >= 300 && typeof payload === 'string' ? fieldOf(payload, 'message') : undefined;
        const created = reply.statusCode === 201 && typeof payload === 'string' ? fieldOf(payload, 'Name') : undefined;
        ctx.events.emitAdmin({
          method: request.method,
          path: request.url.split('?')[0]!,
          status: reply.statusCode,
          actor: principal?.name ?? '',
          auth: !principal ? 'none' : /^Basic /i.test(header) ? 'password' : principal.platform ? `platform-${principal.platform}` : 'token',
          source: (request.socket.remoteAddress ?? '').replace(/^::ffff:/, ''),
          ...(error && { error }),
          ...(created && { created }),
        });
        return payload;
      });
      for (const add of routes) add(scope, { ...ctx, guard });
    },
    { prefix: ADMIN_PREFIX },
  );
}
