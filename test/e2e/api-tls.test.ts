// The API off the unix socket is TLS with client certificates from the cluster CA, as the stock
// docker CLI speaks it (DOCKER_TLS_VERIFY, DOCKER_CERT_PATH): the admin's bundle written on first
// start works as is; another CA's, a revoked one or a node's are refused with a TLS failure and no
// data; no certificate (and no token) gets a 401 and no data. The unix socket is root's alone: an unprivileged local user reaches
// neither it nor the join token.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { join as joinCluster } from '../../src/agent/session/manager-client.js';
import { BerthProcess, docker, freePort, tempDir, type DockerResult } from '../helpers/berth.js';

const run = promisify(execFile);

describe('the API over TLS and the unix socket', () => {
  const dir = tempDir('api-tls');
  chmodSync(dir, 0o755); // so that an unprivileged user can try the socket itself
  let manager: BerthProcess;
  let other: BerthProcess;
  let port = 0;
  const tcp = () => `tcp://127.0.0.1:${port}`;
  const socket = join(dir, 'm', 'berth.sock');
  const berth = (...args: string[]) => run(process.execPath, [join(import.meta.dirname, '../../bin/berth.js'), '--host', `unix://${socket}`, ...args]);
  const tls = (certDir: string, args: string[]): Promise<DockerResult> => docker(tcp(), args, 30_000, undefined, { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certDir });

  before(async () => {
    port = await freePort();
    manager = new BerthProcess(['manager', '--data-dir', join(dir, 'm'), '--listen', `127.0.0.1:${port}`, '--cluster-listen', '127.0.0.1:0']);
    other = new BerthProcess(['manager', '--data-dir', join(dir, 'other'), '--listen', `127.0.0.1:${await freePort()}`, '--cluster-listen', '127.0.0.1:0']);
    await Promise.all([manager.waitFor(/cluster port/), other.waitFor(/cluster port/)]);
  });

  after(async () => {
    await Promise.all([manager?.stop(), other?.stop()]);
  });

  test('the admin bundle written on first start drives the docker CLI over TLS', async () => {
    const r = await tls(join(dir, 'm', 'client'), ['info', '--format', '{{.Swarm.ControlAvailable}}']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'true');
    assert.equal(statSync(join(dir, 'm', 'client', 'key.pem')).mode & 0o777, 0o600);
  });

  test('the audit log names who: the certificate\'s user over TLS, root on the unix socket (berth audit ls)', async () => {
    assert.equal((await tls(join(dir, 'm', 'client'), ['network', 'create', '-d', 'overlay', 'audited-tls'])).code, 0);
    assert.equal((await docker(`unix://${socket}`, ['network', 'create', '-d', 'overlay', 'audited-local'])).code, 0);
    const { stdout } = await berth('audit', 'ls', '--action', 'network.create', '--format', 'json');
    const entries = JSON.parse(stdout) as { User: string; Auth: string; Source: string; Object: { Name: string } }[];
    assert.deepEqual(
      entries.map((e) => [e.Object.Name, e.User, e.Auth, e.Source]),
      [['audited-local', 'root', 'unix-socket', 'local'], ['audited-tls', 'admin', 'certificate', '127.0.0.1']],
    );
    assert.match((await berth('audit', 'ls', '--user', 'admin')).stdout, /^TIME +USER +SOURCE +ACTION +OBJECT +RESULT\n.* admin +127\.0\.0\.1 +network\.create +audited-tls +201\n$/);
    // A page at a time: --before the last ID of the page before.
    const page = async (...more: string[]) => JSON.parse((await berth('audit', 'ls', '--action', 'network.create', '--limit', '1', '--format', 'json', ...more)).stdout) as { ID: string; Object: { Name: string } }[];
    const [first] = await page();
    assert.deepEqual((await page('--before', first!.ID)).map((e) => e.Object.Name), ['audited-tls']);
  });

  test('a viewer\'s bundle (berth cert client --role viewer) lists with the docker CLI but may not create; berth cert ls shows the role', async () => {
    const viewer = join(dir, 'viewer');
    await berth('cert', 'client', 'vera', '--role', 'viewer', '--out', viewer);
    const ls = await tls(viewer, ['service', 'ls']);
    assert.equal(ls.code, 0, ls.stderr);
    const create = await tls(viewer, ['network', 'create', '-d', 'overlay', 'not-for-viewers']);
    assert.notEqual(create.code, 0);
    assert.match(create.stderr, /Error response from daemon: access denied: POST \/networks\/create takes the operator role; vera \(certificate\) has the viewer role/);
    assert.match((await berth('cert', 'ls')).stdout, /\s+vera\s+viewer\s+/);
    await assert.rejects(berth('cert', 'client', 'x', '--role', 'root', '--out', join(dir, 'x')), /invalid Role "root": one of viewer, operator, admin/);
  });

  test('no certificate, another CA\'s, a revoked one or a node\'s: refused, no data', async () => {
    const plain = await docker(tcp(), ['node', 'ls']);
    assert.notEqual(plain.code, 0);
    assert.doesNotMatch(plain.stdout, /HOSTNAME/);
    const foreign = await tls(join(dir, 'other', 'client'), ['node', 'ls']);
    assert.notEqual(foreign.code, 0);
    assert.match(foreign.stderr, /certificate|tls|EOF/i);

    await berth('cert', 'client', 'bob', '--out', join(dir, 'bob'));
    assert.equal((await tls(join(dir, 'bob'), ['node', 'ls'])).code, 0, 'a fresh bundle works');
    const { stdout } = await berth('cert', 'ls');
    assert.match(stdout, /bob\s.*valid/);
    await berth('cert', 'revoke', 'bob');
    const revoked = await tls(join(dir, 'bob'), ['node', 'ls']);
    assert.notEqual(revoked.code, 0, 'revoked');
    assert.doesNotMatch(revoked.stdout, /HOSTNAME/);
    assert.match((await berth('cert', 'ls')).stdout, /bob\s.*revoked/);

    // A node's certificate chains to the same root, but opens no API.
    const token = (await run('cat', [join(dir, 'm', 'worker-token')])).stdout.trim();
    const cluster = /cluster port (\S+)/.exec(manager.output)![1]!;
    const node = await joinCluster(cluster, token, 'sneaky');
    const nodeDir = join(dir, 'node');
    mkdirSync(nodeDir);
    writeFileSync(join(nodeDir, 'cert.pem'), node.cert);
    writeFileSync(join(nodeDir, 'key.pem'), node.key);
    writeFileSync(join(nodeDir, 'ca.pem'), node.rootCA);
    const asNode = await tls(nodeDir, ['node', 'ls']);
    assert.notEqual(asNode.code, 0, 'a node certificate is not a client certificate');
    assert.doesNotMatch(asNode.stdout, /HOSTNAME/);
  });

  test('the unix socket is root\'s: an unprivileged user reaches neither it nor the join token', async () => {
    const st = statSync(socket);
    assert.equal(st.mode & 0o777, 0o660);
    assert.equal(st.uid, 0);
    const root = await docker(`unix://${socket}`, ['swarm', 'join-token', '-q', 'worker']);
    assert.equal(root.code, 0, root.stderr);
    const asNobody = (args: string[]) =>
      run('runuser', ['-u', 'nobody', '--', 'env', `HOME=/tmp`, 'docker', ...args]).then(
        (r) => ({ code: 0, ...r }),
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
    const viaSocket = await asNobody(['-H', `unix://${socket}`, 'swarm', 'join-token', '-q', 'worker']);
    assert.notEqual(viaSocket.code, 0);
    assert.match(viaSocket.stderr, /permission denied/);
    const viaTcp = await asNobody(['-H', tcp(), 'run', '-v', '/:/host', 'busybox']);
    assert.notEqual(viaTcp.code, 0);
    assert.doesNotMatch(viaTcp.stdout + viaTcp.stderr, /SWMTKN/);
    // Even a client that skips verifying the server gets nothing without a certificate or a token.
    const script = `require('https').get({ host: '127.0.0.1', port: ${port}, path: '/swarm', rejectUnauthorized: false }, (r) => r.pipe(process.stdout)).on('error', (e) => { console.error(e.code); process.exit(3); })`;
    const raw = await run('runuser', ['-u', 'nobody', '--', process.execPath, '-e', script]).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string }) => e,
    );
    assert.match(raw.stdout, /authentication required/);
    assert.doesNotMatch(raw.stdout, /SWMTKN/);
  });

  test('berth swarm join-token prints the line the manager printed at start; --rotate replaces the token', async () => {
    const printed = /^\s+(berth agent --join \S+ --token \S+)$/m.exec(manager.output)![1]!;
    const { stdout } = await berth('swarm', 'join-token');
    assert.match(stdout, /^To add a worker to this cluster, run the following command on it/);
    assert.equal(/^\s+(berth agent --join \S+ --token \S+)$/m.exec(stdout)?.[1], printed);
    const old = (await berth('swarm', 'join-token', '-q')).stdout.trim();
    assert.ok(printed.endsWith(old));
    const rotated = await berth('swarm', 'join-token', '--rotate');
    assert.match(rotated.stdout, /^Successfully rotated worker join token\./);
    const fresh = (await berth('swarm', 'join-token', '-q')).stdout.trim();
    assert.notEqual(fresh, old);
    assert.match(fresh, /^SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}$/);
    assert.match((await berth('swarm', 'join-token', 'manager')).stdout, /^\s+berth manager --join \S+ --token SWMTKN-1-\S+ --store etcd:\/\/HOST:2379,\.\.\.$/m);
  });

  test('--insecure-api is refused off loopback; TLS listens anywhere', async () => {
    const bad = new BerthProcess(['manager', '--data-dir', join(dir, 'bad'), '--listen', '0.0.0.0:0', '--insecure-api', '--cluster-listen', '127.0.0.1:0']);
    await bad.waitFor(/refusing to listen on 0\.0\.0\.0:0 without TLS/);
    const good = new BerthProcess(['manager', '--data-dir', join(dir, 'good'), '--listen', '0.0.0.0:0', '--cluster-listen', '127.0.0.1:0']);
    await good.waitFor(/listening on https:\/\/0\.0\.0\.0:\d+/);
    await Promise.all([bad.stop(), good.stop()]);
  });
});
