// Agents with several managers: a leader's cluster port (the dispatcher's sessions, the CA) and
// followers' on the same store that redirect agents to it (307) or, during an election, answer
// 503. Real TLS from the real cluster CA, a real store, real agents on the shared Podman engine.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { join } from 'node:path';
import { Agent } from '../../src/agent/session/session.js';
import { loadIdentity, saveIdentity } from '../../src/agent/session/identity.js';
import { join as joinCluster, renew } from '../../src/agent/session/manager-client.js';
import { connectPodman } from '../../src/agent/engine/engine.js';
import { silentLogger } from '../../src/common/log.js';
import { Dispatcher } from '../../src/dispatcher/index.js';
import { startClusterPort } from '../../src/manager/cluster-port.js';
import type { LeaderAddress } from '../../src/manager/leader-redirect.js';
import { DISPATCHER_PATH } from '../../src/types/index.js';
import { startDispatcher, type Harness } from '../helpers/dispatcher.js';
import { TEST_ENGINE_DIR } from '../helpers/engine.js';
import { tempDir } from '../helpers/berth.js';
import { until, waitFor } from '../helpers/wait.js';

const log = silentLogger();

interface Cluster {
  h: Harness;
  /** What the test started, stopped last first: agents, then cluster ports (whose close waits for open sessions). */
  stops: (() => Promise<unknown>)[];
  leader: string;
  /** cluster port of a manager whose leader() gives `to` */
  follower(to: (self: string) => LeaderAddress): Promise<string>;
}

async function cluster(t: TestContext): Promise<Cluster> {
  const stops: Cluster['stops'] = [];
  t.after(async () => {
    for (const stop of stops.reverse()) await stop();
  });
  const h = await startDispatcher(t);
  const clusterId = h.store.view((tx) => tx.cluster()!.ID);
  const port = async (dispatcher: Dispatcher, leader?: (self: string) => LeaderAddress): Promise<string> => {
    let self = '';
    const p = await startClusterPort({ ca: h.ca, clusterId, dispatcher, host: '127.0.0.1', port: 0, names: ['127.0.0.1'], log, ...(leader && { leader: () => leader(self) }) });
    stops.push(() => p.stop());
    self = `127.0.0.1:${p.port}`;
    return self;
  };
  // A follower's dispatcher never runs: it only shows that no upgrade reaches it.
  return { h, stops, leader: await port(h.dispatcher), follower: (to) => port(new Dispatcher(h.store), to) };
}

/** A real agent on the shared engine; its state dir is `dir`. */
async function startAgent(c: Cluster, dir: string, opts: { manager?: string; joinToken?: string } = {}): Promise<Agent> {
  const { docker, url } = await connectPodman({ dataDir: TEST_ENGINE_DIR, log });
  const agent = new Agent({
    ...opts,
    stateDir: join(dir, 'state'),
    docker,
    engineUrl: url,
    description: { Hostname: 'follower-test' },
    log,
    filesRoot: join(dir, 'files'),
    registryCertsDir: join(dir, 'certs.d'),
    tunnelInterface: `bwf${process.pid % 100000}`,
  });
  const stop = new AbortController();
  const ran = agent.run(stop.signal);
  c.stops.push(async () => {
    stop.abort();
    await ran;
  });
  return agent;
}

const ready = (c: Cluster, nodeId: () => string | undefined) => waitFor(c.h.store, (tx) => tx.nodes.get(nodeId() ?? '')?.Status.State === 'ready', 10_000, 'node ready');

/** The raw answer to a WebSocket upgrade, as a peer without a certificate gets it. */
function upgrade(addr: string): Promise<{ status: number; location?: string; body: unknown }> {
  const [host, port] = addr.split(':');
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: DISPATCHER_PATH, rejectUnauthorized: false, headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('an agent joining through a follower holds its session on the leader, learns the managers and keeps them', async (t) => {
  const c = await cluster(t);
  const follower = await c.follower(() => c.leader);
  c.h.dispatcher.setManagers([c.leader, follower]);
  const dir = tempDir('follow-join');
  const agent = await startAgent(c, dir, { manager: follower, joinToken: c.h.workerToken() });
  await ready(c, () => agent.nodeId);
  const saved = await until(() => {
    const id = loadIdentity(join(dir, 'state'));
    return id?.managers.length ? id : undefined;
  }, 5000, 'the managers saved');
  assert.equal(saved.manager, c.leader, 'the leader is tried first next time');
  assert.equal(saved.joined, follower, 'the address joined is kept, tried last');
  assert.deepEqual(saved.managers, [c.leader, follower]);
  // Only the leader's dispatcher holds the session: a change it sends arrives and is saved.
  c.h.dispatcher.setManagers([c.leader, follower, 'mgr3.example:2377']);
  await until(() => loadIdentity(join(dir, 'state'))?.managers.length === 3, 5000, 'the changed list saved');
});

test('a follower redirects the session upgrade, joins and renewals to the leader; during an election it answers 503; hops are bounded', async (t) => {
  const c = await cluster(t);
  const follower = await c.follower(() => c.leader);
  const electing = await c.follower(() => null);
  const loop = await c.follower((self) => self);

  assert.deepEqual(await upgrade(follower), {
    status: 307,
    location: `https://${c.leader}${DISPATCHER_PATH}`,
    body: { message: `this manager is not the leader; the leader is at ${c.leader}` },
  });
  assert.deepEqual(await upgrade(electing), { status: 503, location: undefined, body: { message: 'no leader is elected yet: retry in a moment' } });
  assert.equal((await upgrade(c.leader)).status, 401, 'the leader takes the upgrade: no certificate, refused');

  const id = await joinCluster(follower, c.h.workerToken(), 'renewing');
  assert.deepEqual([id.manager, id.joined], [c.leader, follower], 'joined on the leader, through the follower');
  const renewed = await renew({ ...id, manager: follower });
  assert.equal(renewed.manager, c.leader);
  assert.notEqual(renewed.cert, id.cert);
  assert.equal(renewed.nodeId, id.nodeId);
  await assert.rejects(renew({ ...id, manager: electing }), /refused: no leader is elected yet: retry in a moment/);
  await assert.rejects(renew({ ...id, manager: loop }), /redirected POST \/berth\/v1\/renew once more after 3 redirects/);
  await assert.rejects(joinCluster(electing, c.h.workerToken(), 'late'), /no leader is elected yet/);
});

test('an agent whose last leader answers 503 moves on to the next manager, and remembers the leader it found', async (t) => {
  const c = await cluster(t);
  const follower = await c.follower(() => c.leader);
  const electing = await c.follower(() => null);
  const dir = tempDir('follow-503');
  // An agent restarted with what it saved: its last leader (also the address it joined) is in an
  // election now, and the leader is a manager it never knew, reached only through the follower.
  const id = await joinCluster(c.leader, c.h.workerToken(), 'moving');
  saveIdentity(join(dir, 'state'), { ...id, manager: electing, managers: [electing, follower], joined: electing });
  const agent = await startAgent(c, dir);
  await ready(c, () => agent.nodeId);
  // Saved once the leader welcomed it, which may come a moment after the node is Ready.
  await until(() => loadIdentity(join(dir, 'state'))?.manager === c.leader, 10_000, 'the leader found through the follower saved to come first next time');
});
