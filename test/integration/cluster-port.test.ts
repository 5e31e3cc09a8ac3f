// The cluster port of a real manager under hostile input: bytes that are not TLS, TLS that is
// not HTTP, 1,000 concurrent joins with bad tokens and malformed requests. Each gets a clear
// refusal; the manager stays up and answers, and no node is registered.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { join } from 'node:path';
import { Manager } from '../../src/manager/index.js';
import { silentLogger } from '../../src/common/log.js';
import { CA_PATH, JOIN_PATH, RENEW_PATH } from '../../src/types/index.js';
import { tempDir } from '../helpers/berth.js';
import { createRootCA } from '../../src/ca/index.js';
import { joinToken } from '../../src/common/tokens.js';
import { join as joinCluster } from '../../src/agent/session/manager-client.js';

let manager: Manager;
let port: number;

before(async () => {
  manager = await Manager.start({ dataDir: join(tempDir('cluster-port'), 'manager'), listen: '127.0.0.1:0', insecureApi: true, clusterListen: '127.0.0.1:0', log: silentLogger(), version: 'test' });
  port = Number(manager.clusterAddr.split(':')[1]);
});

after(() => manager.stop());

function post(path: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', rejectUnauthorized: false, agent: false, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const nodes = () => manager.store.view((tx) => tx.nodes.count());
// The pinning test joins one node at the end; the counts above run before it.

test('garbage, plain HTTP and TLS without HTTP are dropped; the port keeps serving', async () => {
  for (const bytes of [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), Buffer.alloc(64 * 1024, 0x16), Buffer.from([0x16, 0x03, 0x01, 0xff, 0xff])]) {
    await new Promise<void>((resolve) => {
      const sock = connect(port, '127.0.0.1', () => sock.end(bytes));
      sock.on('close', () => resolve());
      sock.on('error', () => resolve());
      sock.resume();
    });
  }
  await new Promise<void>((resolve) => {
    const sock = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => sock.end('\u0000\u0001not http at all\r\n\r\n'));
    sock.on('close', () => resolve());
    sock.on('error', () => resolve());
    sock.resume();
  });
  const root = await new Promise<string>((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: CA_PATH, rejectUnauthorized: false }, (res) => {
      let t = '';
      res.on('data', (c: Buffer) => (t += c.toString()));
      res.on('end', () => resolve(t));
    }).on('error', reject).end();
  });
  assert.match(JSON.parse(root).rootCA, /BEGIN CERTIFICATE/);
});

test('malformed joins get a 4xx that names the problem; renewal without a certificate is a 401', async () => {
  const token = manager.workerToken;
  const cases: [string, number, RegExp][] = [
    ['{', 400, /JSON/],
    ['[]', 400, /send "token"/],
    [JSON.stringify({ token, csr: 'not a csr' }), 400, /invalid CSR/],
    [JSON.stringify({ token, csr: 'x'.repeat(70 * 1024) }), 413, /./],
    [JSON.stringify({ token: 'SWMTKN-1-nope', csr: 'x' }), 401, /not in the form/],
  ];
  for (const [body, status, message] of cases) {
    const r = await post(JOIN_PATH, body);
    assert.equal(r.status, status, `${body.slice(0, 40)}: ${r.body}`);
    assert.match(JSON.parse(r.body).message, message);
  }
  const renew = await post(RENEW_PATH, JSON.stringify({ csr: 'x' }));
  assert.equal(renew.status, 401);
  assert.match(JSON.parse(renew.body).message, /node certificate from this cluster's CA is required/);
  assert.equal(nodes(), 0);
});

test('1,000 concurrent joins with bad tokens are each refused; the API answers meanwhile', async () => {
  const bad = manager.workerToken.slice(0, -5) + 'aaaaa';
  const body = JSON.stringify({ token: bad, csr: 'irrelevant: the token is checked first' });
  const joins = Array.from({ length: 1000 }, () => post(JOIN_PATH, body).catch((err: Error) => ({ status: -1, body: err.message })));
  const ping = await fetch(`${manager.url}/_ping`);
  assert.equal(ping.status, 200);
  const results = await Promise.all(joins);
  const statuses = new Map<number, number>();
  for (const r of results) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
  assert.deepEqual([...statuses], [[401, 1000]], 'every attempt refused, none dropped');
  assert.equal(nodes(), 0, 'nothing half-registered');
});

test('a joining agent pins the root by its token: a manager of another CA is refused before the token is sent', async () => {
  const other = await createRootCA();
  const tokenForOther = joinToken(other.certPem);
  await assert.rejects(joinCluster(manager.clusterAddr, tokenForOther, 'pinned'), /presented a root CA \(digest \w{50}\) that does not match the join token's \(\w{50}\)/);
  await assert.rejects(joinCluster(manager.clusterAddr, 'SWMTKN-1-bad', 'pinned'), /invalid join token: it is not in the form/);
  const rotated = manager.workerToken;
  manager.store.update((tx) => tx.clusters.update({ ...tx.cluster()!, JoinTokens: { ...tx.cluster()!.JoinTokens, Worker: joinToken(tx.cluster()!.BerthCA!.RootCert) } }));
  await assert.rejects(joinCluster(manager.clusterAddr, rotated, 'late'), /refused: invalid join token: it is not the current worker token \(was it rotated\?\)/);
  const joined = await joinCluster(manager.clusterAddr, manager.workerToken, 'on-time');
  assert.equal(manager.store.view((tx) => tx.nodes.get(joined.nodeId)?.Description.Hostname), 'on-time');
});
