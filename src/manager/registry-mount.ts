// The registry's admin API on the manager's API port too, when `berth up` runs the registry in
// this process: one API — the same paths, shapes, guard and audit — reachable on both ports, so
// the portal, served by the manager, manages the registry with the user's session. The manager's
// access layer asks only that the caller be signed in (access/matrix.ts: self); the registry's
// guard then decides by Harbor's project roles. The request goes to the registry's server whole,
// its body unread here, and the registry writes the answer. Without a registry: 404 saying so.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { RegistryTags } from '../api/index.js';
import { NotFoundError } from '../types/index.js';

export const REGISTRY_ADMIN_PREFIX = '/berth/v1/registry';

/** The registry `berth up` runs beside the manager, as the manager uses it. */
export interface LocalRegistry extends RegistryTags {
  /** Serves a request for its admin API as its own port does. */
  routeAdmin(req: IncomingMessage, res: ServerResponse): void;
}

export class RegistryMount {
  #registry: LocalRegistry | undefined;

  attach(registry: LocalRegistry): void {
    this.#registry = registry;
  }

  /** The registry's tags, for the update check (undefined without a registry). */
  readonly tags = (): RegistryTags | undefined => this.#registry;

  /** routes is a manager API plugin: its own scope, where bodies are left for the registry to read. */
  readonly routes = (app: FastifyInstance): void => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_request, _payload, done) => done(null));
    app.route({
      method: ['GET', 'POST', 'PUT', 'DELETE'],
      url: `${REGISTRY_ADMIN_PREFIX}/*`,
      handler: async (request, reply) => {
        const registry = this.#registry;
        if (!registry) {
          throw new NotFoundError(
            'this manager runs no registry: berth up starts one beside it (--registry HOST:PORT, on by default); a registry started alone (berth registry) serves this API on its own port',
          );
        }
        reply.hijack();
        registry.routeAdmin(request.raw, reply.raw);
      },
    });
  };
}
