// The gate a manager with sealed keys (autolock) waits at before it starts: it serves the locked
// API (src/api/locked.ts) until an operator gives the unlock key with `docker swarm unlock`.
// Only the unix socket (root's) and an --insecure-api port serve it: the TLS port's certificate
// comes from the CA, whose key is sealed, and keeping a server key in the clear for the locked
// time would leave on disk what autolock exists to keep off it.
//
// The unlock request is answered once the manager has started, so the CLI's next command meets
// the full API; the locked listeners stop accepting as soon as the key is accepted, to leave the
// socket and port to it.

import type { Server } from 'node:http';
import { createLockedApiServer } from '../api/index.js';
import type { Logger } from '../common/log.js';
import { ConflictError, UnavailableError } from '../types/index.js';
import { WrongUnlockKeyError } from '../store/index.js';
import { Autolock } from './autolock.js';
import { listenUnix } from './api-access.js';

export interface LockedGate {
  /** Resolves with the unsealed keys once an operator has given the right unlock key. */
  unlocked: Promise<Autolock>;
  /** The TCP port the locked API listened on (--insecure-api), for the full API to listen on. */
  tcpPort?: number;
  /** started answers the unlock request: the manager is up. */
  started(): void;
  /** failed answers the unlock request with why the manager could not start. */
  failed(err: unknown): void;
}

export async function serveLocked(opts: {
  dataDir: string;
  socketPath: string;
  /** Where --insecure-api serves plain HTTP; no TCP listener otherwise. */
  tcp?: { host: string; port: number };
  info: { version: string; hostname: string };
  log: Logger;
}): Promise<LockedGate> {
  let locked = true;
  let resolveUnlocked!: (autolock: Autolock) => void;
  const unlocked = new Promise<Autolock>((resolve) => (resolveUnlocked = resolve));
  let startDone!: { resolve(): void; reject(err: unknown): void };
  const start = new Promise<void>((resolve, reject) => (startDone = { resolve, reject }));
  const listeners: Server[] = [];

  const app = createLockedApiServer({
    info: opts.info,
    log: opts.log,
    unlock: async (key) => {
      if (!locked) throw new ConflictError('swarm is not locked');
      let autolock: Autolock;
      try {
        autolock = Autolock.unseal(opts.dataDir, key);
      } catch (err) {
        if (err instanceof WrongUnlockKeyError) opts.log.warn('unlock refused: not the unlock key');
        throw err;
      }
      locked = false;
      for (const server of listeners) server.close();
      resolveUnlocked(autolock);
      try {
        await start;
      } catch (err) {
        throw new UnavailableError(`swarm component could not be started: ${(err as Error).message}`);
      }
    },
  });
  if (opts.tcp) await app.listen({ host: opts.tcp.host, port: opts.tcp.port });
  else await app.ready();
  listeners.push(await listenUnix(app, opts.socketPath, opts.log));
  if (opts.tcp) listeners.push(app.server);
  return {
    unlocked,
    ...(opts.tcp && { tcpPort: (app.server.address() as { port: number }).port }),
    started: () => startDone.resolve(),
    failed: (err) => startDone.reject(err),
  };
}
