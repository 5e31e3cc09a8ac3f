// A dispatcher on a real TLS server (the cluster port's setup: a manager certificate from a
// real cluster CA, client certificates asked for and verified) over a real store (store.ts), and
// nodes that join through the real CA, for the dispatcher's and CA's tests.

import { createServer, type Server } from 'node:https';
import type { ClientOptions } from 'ws';
import { CertificateAuthority, createRootCA, issueWithKey, steadyTrust, type RootCA } from '../../src/ca/index.js';
import { silentLogger } from '../../src/common/log.js';
import { certificateRequest, keyPem, MANAGER_SERVER_NAME, newKeyPair, OU_MANAGER } from '../../src/common/pki.js';
import { joinToken } from '../../src/common/tokens.js';
import { Dispatcher } from '../../src/dispatcher/index.js';
import { ensureCluster } from '../../src/manager/bootstrap.js';
import { Store } from '../../src/store/index.js';
import { DISPATCHER_PATH } from '../../src/types/index.js';
import { openTestStore } from './store.js';

export interface NodeCreds {
  nodeId: string;
  cert: string;
  key: string;
}

export interface Harness {
  store: Store;
  /** The WebSocket URL agents connect to. */
  url: string;
  port: number;
  /** The cluster port's HOST:PORT (the manager node's ManagerStatus.Addr). */
  addr: string;
  dispatcher: Dispatcher;
  ca: CertificateAuthority;
  root: RootCA;
  localToken: string;
  workerToken(): string;
  managerToken(): string;
  /** join makes a key and joins through the CA, as an agent does (the worker token unless given). */
  join(hostname?: string, token?: string): Promise<NodeCreds>;
  /** What a WebSocket client passes to present the node's certificate and trust the cluster's root. */
  tls(creds?: NodeCreds): ClientOptions;
}

let sharedRoot: Promise<RootCA> | undefined;

/**
 * startDispatcher runs a dispatcher until the test ends; the cluster's heartbeat period is
 * heartbeatMs. Clusters share one root CA (making one costs time) unless ownRoot is set. The
 * store is openTestStore's unless storePath names its SQLite file (as a manager's is).
 */
export async function startDispatcher(t: { after: (fn: () => void | Promise<void>) => void }, heartbeatMs = 5000, ownRoot = false, storePath?: string): Promise<Harness> {
  const root = await (ownRoot ? createRootCA() : (sharedRoot ??= createRootCA()));
  const store = storePath ? new Store({ path: storePath }) : await openTestStore();
  const cluster = ensureCluster(store, { rootCert: root.certPem });
  store.update((tx) => tx.clusters.update({ ...tx.cluster()!, Spec: { ...cluster.Spec, Dispatcher: { HeartbeatPeriod: heartbeatMs * 1e6 } } }));
  const localToken = joinToken(root.certPem);
  let addr = '';
  const ca = new CertificateAuthority(store, { trust: steadyTrust(root), localToken, managerAddr: () => addr, log: silentLogger() });
  const dispatcher = new Dispatcher(store);
  const serving = await issueWithKey(root, { subject: { commonName: 'm', role: OU_MANAGER, cluster: cluster.ID }, validityMs: 3600_000, names: [MANAGER_SERVER_NAME] });
  const server: Server = createServer({ key: serving.key, cert: serving.cert, ca: root.certPem, requestCert: true, rejectUnauthorized: false });
  dispatcher.attach(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const ac = new AbortController();
  void dispatcher.run(ac.signal);
  t.after(async () => {
    ac.abort();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    store.close();
  });
  const port = (server.address() as { port: number }).port;
  addr = `127.0.0.1:${port}`;
  const tokens = () => store.view((tx) => tx.cluster()!.JoinTokens);
  return {
    store,
    url: `wss://127.0.0.1:${port}${DISPATCHER_PATH}`,
    port,
    addr,
    dispatcher,
    ca,
    root,
    localToken,
    workerToken: () => tokens().Worker,
    managerToken: () => tokens().Manager,
    async join(hostname = 'h1', token?: string): Promise<NodeCreds> {
      const keys = await newKeyPair();
      const issued = await ca.join({ token: token ?? tokens().Worker, csr: await certificateRequest(keys), hostname }, '127.0.0.1');
      return { nodeId: issued.nodeId, cert: issued.certificate, key: await keyPem(keys.privateKey) };
    },
    tls: (creds?: NodeCreds): ClientOptions => ({ ca: root.certPem, servername: MANAGER_SERVER_NAME, ...(creds && { cert: creds.cert, key: creds.key }) }) as ClientOptions,
  };
}
