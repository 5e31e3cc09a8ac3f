// The stock docker CLI's swarm commands (join-token, update, unlock-key, init/join/leave) and the
// swarm side of `docker info` and `docker node` against Berth's API. The manager's node and a
// worker join through the real CA and dispatcher (mutual TLS), as agents do, so addresses and
// tokens are the ones a running manager shows; no containers run.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import WebSocket from 'ws';
import type { Store } from '../../src/store/index.js';
import { createApiServer } from '../../src/api/index.js';
import type { ManagerMessage, WelcomeMessage } from '../../src/types/index.js';
import { startDispatcher, type Harness, type NodeCreds } from '../helpers/dispatcher.js';
import { seedTask } from '../../src/api/test-helpers.js';
import { addService, replicated } from '../helpers/objects.js';
import { docker as runDocker, dockerOk, type DockerResult } from '../helpers/berth.js';

let h: Harness;
const cleanups: (() => void | Promise<void>)[] = [];
let store: Store;
let app: FastifyInstance;
let home: string;
let dockerHost: string;
let managerAddr: string;
const sessions: Session[] = [];
let managerNode: WelcomeMessage;
let workerNode: WelcomeMessage;
let workerCreds: NodeCreds;

/** The agent's side of a dispatcher session, reduced to hello, the first answer and heartbeats. */
class Session {
  readonly ws: WebSocket;
  readonly first: Promise<ManagerMessage>;
  #heartbeat: NodeJS.Timeout | undefined;

  constructor(creds: NodeCreds, hello: Record<string, unknown>) {
    this.ws = new WebSocket(h.url, h.tls(creds));
    this.ws.on('open', () => this.ws.send(JSON.stringify({ type: 'hello', ...hello })));
    this.first = new Promise((resolve, reject) => {
      this.ws.once('message', (data) => {
        const msg = JSON.parse(data.toString()) as ManagerMessage;
        if (msg.type === 'welcome') this.#heartbeat = setInterval(() => this.ws.send(JSON.stringify({ type: 'heartbeat' })), msg.heartbeatPeriodMs);
        resolve(msg);
      });
      this.ws.once('error', reject);
    });
    sessions.push(this);
  }

  close(): void {
    clearInterval(this.#heartbeat);
    this.ws.close();
  }
}

async function connect(creds: NodeCreds, hello: Record<string, unknown>): Promise<WelcomeMessage> {
  const msg = await new Session(creds, hello).first;
  assert.equal(msg.type, 'welcome', JSON.stringify(msg));
  return msg as WelcomeMessage;
}

type Run = DockerResult;
const docker = (...args: string[]): Promise<Run> => runDocker(dockerHost, args, 30_000, home);
const ok = (...args: string[]): Promise<string> => dockerOk(dockerHost, args, home);

async function fails(...args: string[]): Promise<string> {
  const run = await docker(...args);
  assert.equal(run.code, 1, `docker ${args.join(' ')} should fail: ${run.stdout}`);
  return run.stderr;
}

const cluster = () => store.view((tx) => tx.cluster()!);

before(async () => {
  h = await startDispatcher({ after: (fn) => cleanups.push(fn) }, 5000);
  store = h.store;
  // Wired as src/manager/manager.ts does: the API beside the cluster port's CA and dispatcher.
  const leader = (): string | undefined => store.view((tx) => tx.nodes.list().find((n) => n.ManagerStatus?.Leader)?.ID);
  app = createApiServer({ store, info: { version: '0.1.0', hostname: 'berth-mgr', nodeId: leader } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  dockerHost = `tcp://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  managerAddr = h.addr;
  home = mkdtempSync(join(tmpdir(), 'berth-swarm-cli-home-'));
  managerNode = await connect(await h.join('berth-mgr', h.localToken), { description: { Hostname: 'berth-mgr' } });
  workerCreds = await h.join('worker-1');
  workerNode = await connect(workerCreds, { description: { Hostname: 'worker-1' } });
});

after(async () => {
  for (const s of sessions) s.close();
  await app.close();
  for (const fn of cleanups) await fn();
  rmSync(home, { recursive: true, force: true });
});

test('docker swarm join-token worker prints the join line with the token and the cluster port address', async () => {
  const out = await ok('swarm', 'join-token', 'worker');
  const token = cluster().JoinTokens.Worker;
  assert.equal(out, `To add a worker to this swarm, run the following command:\n\n    docker swarm join --token ${token} ${managerAddr}\n\n`);
  assert.equal((await ok('swarm', 'join-token', '-q', 'worker')).trim(), token);
  assert.equal((await ok('swarm', 'join-token', '-q', 'manager')).trim(), cluster().JoinTokens.Manager);
});

test('docker swarm join-token --rotate worker: a new token for new joins; joined nodes keep their certificates', async () => {
  const old = cluster().JoinTokens.Worker;
  const out = await ok('swarm', 'join-token', '--rotate', 'worker');
  const rotated = cluster().JoinTokens.Worker;
  assert.notEqual(rotated, old);
  assert.match(rotated, /^SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}$/);
  assert.match(out, /^Successfully rotated worker join token\.\n\nTo add a worker to this swarm/);
  assert.ok(out.includes(`docker swarm join --token ${rotated} ${managerAddr}`));
  assert.equal((await ok('swarm', 'join-token', '--rotate', '-q', 'worker')).trim(), cluster().JoinTokens.Worker);
  assert.notEqual(cluster().JoinTokens.Worker, rotated);

  await assert.rejects(h.join('late', old), /invalid join token: it is not the current worker token \(was it rotated\?\)/);
  const again = await connect(workerCreds, { description: { Hostname: 'worker-1' } });
  assert.equal(again.nodeId, workerNode.nodeId);
  assert.equal(store.view((tx) => tx.nodes.list().length), 2);
});

test('docker swarm update --task-history-limit and --dispatcher-heartbeat change the cluster spec', async () => {
  assert.equal((await ok('swarm', 'update', '--task-history-limit', '2')).trim(), 'Swarm updated.');
  assert.equal(cluster().Spec.Orchestration.TaskHistoryRetentionLimit, 2);
  assert.equal(cluster().Spec.Dispatcher.HeartbeatPeriod, 5e9, 'flags not given keep their value');

  assert.equal((await ok('swarm', 'update', '--dispatcher-heartbeat', '10s')).trim(), 'Swarm updated.');
  assert.equal(cluster().Spec.Dispatcher.HeartbeatPeriod, 10e9);
  assert.equal(cluster().Spec.Orchestration.TaskHistoryRetentionLimit, 2);
  const session = await connect(workerCreds, { description: { Hostname: 'worker-1' } });
  assert.equal(session.heartbeatPeriodMs, 10_000, 'agents are told the new period when they connect');
});

test('docker swarm ca prints the root; nodes show it as their TLSInfo; --cert-expiry has Swarm\'s floor', async () => {
  const root = h.root.certPem;
  assert.equal((await ok('swarm', 'ca')).trim(), root.trim());
  assert.equal((await ok('node', 'inspect', 'worker-1', '--format', '{{.Description.TLSInfo.TrustRoot}}')).trim(), root.trim());
  assert.match(await ok('info', '--format', '{{json .Swarm.Cluster.TLSInfo}}'), /"CertIssuerSubject":"[A-Za-z0-9+/=]{20,}"/);
  assert.match(await fails('swarm', 'update', '--cert-expiry', '30m'), /minimum certificate expiry time is: 1h0m0s/);
  assert.equal((await ok('swarm', 'update', '--cert-expiry', '48h')).trim(), 'Swarm updated.');
  assert.equal(cluster().Spec.CAConfig?.NodeCertExpiry, 48 * 3600e9);
  const joined = await h.join('after-update');
  const days = (Date.parse(new X509Certificate(joined.cert).validTo) - Date.now()) / 86_400_000;
  assert.ok(days > 1.9 && days <= 2, `a node joining now gets a 48h certificate (${days} days)`);
  store.update((tx) => tx.nodes.delete(joined.nodeId));
});

test('docker swarm update refuses what Berth cannot honour, and leaves the spec as it was', async () => {
  const before = cluster();
  assert.match(await fails('swarm', 'update', '--dispatcher-heartbeat', '1ms'), /Dispatcher\.HeartbeatPeriod must be between 1s and 1h \(got 1ms\)/);
  assert.match(await fails('swarm', 'update', '--task-history-limit', '-1'), /between 0 and 1000 \(got -1\): Berth does not keep unlimited task history/);
  assert.match(await fails('swarm', 'update', '--external-ca', 'protocol=cfssl,url=https://ca.example'), /external CAs are not supported yet/);
  assert.deepEqual(cluster(), before);
});

test('docker swarm unlock-key, init, join and leave say what is true of a Berth manager', async () => {
  assert.match(await fails('swarm', 'unlock-key'), /no unlock key is set/);
  assert.match(
    await fails('swarm', 'init'),
    /^Error response from daemon: This node is already part of a swarm: a Berth manager creates its swarm when it first starts.*berth swarm join --token TOKEN HOST:2377/,
  );
  assert.match(await fails('swarm', 'join', '--token', cluster().JoinTokens.Worker, managerAddr), /This node is already part of a swarm: it is the Berth manager/);
  assert.match(await fails('swarm', 'leave', '--force'), /stop it with Ctrl-C/);
});

test('docker info shows the swarm section: cluster, counts, spec settings and addresses', async () => {
  const out = await ok('info');
  const lines = [
    'Swarm: active',
    `NodeID: ${managerNode.nodeId}`,
    'Is Manager: true',
    `ClusterID: ${cluster().ID}`,
    'Managers: 1',
    'Nodes: 2',
    'Default Address Pool: 10.0.0.0/8',
    'SubnetSize: 24',
    'Data Path Port: 4789',
    'Task History Retention Limit: 2',
    'Heartbeat Period: 10 seconds',
    'Autolock Managers: false',
    'Node Address: 127.0.0.1',
    'Manager Addresses:',
    managerAddr,
  ];
  for (const line of lines) assert.match(out, new RegExp(`^\\s+${line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`, 'm'), line);
});

test('docker node ps lists the tasks on a node, self included', async () => {
  const web = addService(store, replicated('web', 2));
  seedTask(store, web, { slot: 1, nodeId: managerNode.nodeId });
  seedTask(store, web, { slot: 2, nodeId: workerNode.nodeId });
  const self = await ok('node', 'ps');
  assert.match(self, /^ID\s+NAME\s+IMAGE\s+NODE\s+DESIRED STATE\s+CURRENT STATE/);
  assert.match(self, /\sweb\.1\s+localhost\/berth-demo:1\s+berth-mgr\s+Running\s+Running/);
  assert.doesNotMatch(self, /web\.2/);
  assert.deepEqual(self, await ok('node', 'ps', 'self'));
  const worker = await ok('node', 'ps', 'worker-1');
  assert.match(worker, /\sweb\.2\s+localhost\/berth-demo:1\s+worker-1\s+Running\s+Running/);
  assert.doesNotMatch(worker, /web\.1/);
});

test('docker node promote and demote are refused; rm needs a down node or --force, never the manager', async () => {
  assert.match(await fails('node', 'promote', 'worker-1'), /keeps its state in SQLite, which serves a single manager/);
  assert.match(await fails('node', 'demote', 'berth-mgr'), /it is the manager, and this cluster \(on SQLite\) has a single manager/);
  assert.match(await fails('node', 'rm', 'worker-1'), /node worker-1 is not down and can't be removed/);
  assert.match(await fails('node', 'rm', '--force', 'berth-mgr'), /is a cluster manager and can't be removed/);
  assert.equal((await ok('node', 'rm', '--force', 'worker-1')).trim(), 'worker-1');
  assert.equal(store.view((tx) => tx.nodes.get(workerNode.nodeId)), undefined);
});
