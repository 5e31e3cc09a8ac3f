// The API of a locked manager (autolock): its keys are sealed, so there is no store, CA or loop
// yet. As a locked Swarm manager it answers /_ping, /version and /info (LocalNodeState
// "locked", which `docker info` shows as `Swarm: locked`), takes the unlock key on
// POST /swarm/unlock, and answers everything else with Swarm's errSwarmLocked (503).

import type { FastifyInstance } from 'fastify';
import type { Logger } from '../common/log.js';
import { engineServer } from './server.js';
import { hostInfo, pingAndVersionRoutes } from './routes/system.js';

/** moby daemon/cluster errSwarmLocked, word for word: the docker CLI prints it. */
export const SWARM_LOCKED = 'Swarm is encrypted and needs to be unlocked before it can be used. Please use "docker swarm unlock" to unlock it.';

export interface LockedApiOptions {
  info: { version: string; hostname: string };
  log?: Logger;
  /** unlock takes the key as sent (UnlockKey) and resolves once the manager has started; it throws a domain error to refuse. */
  unlock(key: string): Promise<void>;
}

export function createLockedApiServer(opts: LockedApiOptions): FastifyInstance {
  const app = engineServer({ log: opts.log, version: opts.info.version });
  // One request per connection: after the unlock, a client's next request must reach the full API.
  app.addHook('onSend', async (_request, reply) => {
    reply.header('Connection', 'close');
  });
  pingAndVersionRoutes(app, opts.info.version, 'locked');
  app.get('/info', () => ({
    ...hostInfo(opts.info.hostname, opts.info.version),
    ID: '',
    Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'locked', ControlAvailable: false, Error: SWARM_LOCKED, RemoteManagers: null, Nodes: 0, Managers: 0 },
  }));
  app.post('/swarm/unlock', async (request, reply) => {
    // As the Engine, a missing or mistyped key is an empty one: "invalid key string".
    const body = request.body as { UnlockKey?: unknown } | null | undefined;
    const key = typeof body?.UnlockKey === 'string' ? body.UnlockKey : '';
    await opts.unlock(key);
    return reply.code(200).send();
  });
  app.all('*', (_request, reply) => reply.code(503).send({ message: SWARM_LOCKED }));
  return app;
}
