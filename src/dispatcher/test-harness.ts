// A dispatcher on a real HTTP server over a real in-memory store, for the dispatcher's tests.

import { createServer, type Server } from 'node:http';
import { Store } from '../store/index.js';
import { DISPATCHER_PATH } from '../types/index.js';
import { Dispatcher } from './index.js';

export const WORKER_TOKEN = 'SWMTKN-1-worker';
export const MANAGER_TOKEN = 'SWMTKN-1-manager';
export const LOCAL_TOKEN = 'local-secret';

export interface Harness {
  store: Store;
  /** The WebSocket URL agents connect to. */
  url: string;
  dispatcher: Dispatcher;
}

/** startDispatcher runs a dispatcher until the test ends; the cluster's heartbeat period is heartbeatMs. */
export async function startDispatcher(t: { after: (fn: () => void | Promise<void>) => void }, heartbeatMs = 5000): Promise<Harness> {
  const store = new Store();
  store.update((tx) =>
    tx.clusters.create({
      ID: 'c', Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '',
      Spec: { Name: 'default', Orchestration: { TaskHistoryRetentionLimit: 5 }, Dispatcher: { HeartbeatPeriod: heartbeatMs * 1e6 } },
      JoinTokens: { Worker: WORKER_TOKEN, Manager: MANAGER_TOKEN },
    }),
  );
  const dispatcher = new Dispatcher(store, { localToken: LOCAL_TOKEN, managerAddr: () => '127.0.0.1:1' });
  const server: Server = createServer();
  dispatcher.attach(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const ac = new AbortController();
  void dispatcher.run(ac.signal);
  t.after(async () => {
    ac.abort();
    await new Promise((r) => server.close(r));
    store.close();
  });
  return { store, url: `ws://127.0.0.1:${(server.address() as { port: number }).port}${DISPATCHER_PATH}`, dispatcher };
}
