// Users, teams and tokens on a real manager over TLS (docs/access.md): a team member sees and
// changes only what their team owns (another team's objects are 404s), uses only their team's
// secrets and networks; tokens and sessions are revocable at once, as are a disabled user's
// certificates; forged, expired and other users' tokens are refused; logins are rate-limited
// per account and address without locking the right user out from elsewhere.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Manager } from '../../src/manager/index.js';
import { silentLogger } from '../../src/common/log.js';
import { certificateRequest, keyPem, newKeyPair } from '../../src/common/pki.js';
import { tempDir } from '../helpers/berth.js';
import { httpsCaller, type Credentials } from '../helpers/https-call.js';

const service = (name: string, labels: Record<string, string>, extra: Record<string, unknown> = {}) => ({
  Name: name,
  Labels: labels,
  TaskTemplate: { ContainerSpec: { Image: 'busybox:1.36', ...extra } },
  Mode: { Replicated: { Replicas: 1 } },
});

describe('teams, tokens and sessions', { timeout: 120_000 }, () => {
  const dir = tempDir('teams');
  let manager: Manager;
  let port = 0;
  let ca = '';
  let admin: Credentials;
  const call = httpsCaller(() => port, () => ca);
  const login = async (user: string, password: string): Promise<Credentials> => {
    const res = await call(undefined, 'POST', '/berth/v1/login', { Username: user, Password: password });
    assert.equal(res.status, 200, res.body);
    return { token: res.json<{ Token: string }>().Token };
  };
  const ok = async (who: Credentials, method: string, path: string, body?: unknown) => {
    const res = await call(who, method, path, body);
    assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${res.body}`);
    return res;
  };
  let alice: Credentials;
  let bob: Credentials;

  before(async () => {
    manager = await Manager.start({ dataDir: dir, listen: '127.0.0.1:0', clusterListen: '127.0.0.1:0', log: silentLogger(), version: 'test', adminPassword: 'Admin-pass1' });
    port = Number(new URL(manager.url).port);
    ca = readFileSync(join(dir, 'client', 'ca.pem'), 'utf8');
    admin = { key: readFileSync(join(dir, 'client', 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'client', 'cert.pem'), 'utf8') };
    for (const name of ['alice', 'bob']) await ok(admin, 'POST', '/berth/v1/users', { Name: name, Password: `Passw0rd-${name}` });
    await ok(admin, 'POST', '/berth/v1/teams', { Name: 'shop', Members: [{ User: 'alice', Role: 'operator' }], Stacks: ['shop'] });
    await ok(admin, 'POST', '/berth/v1/teams', { Name: 'blog', Members: [{ User: 'bob', Role: 'operator' }], Stacks: [] });
    alice = await login('alice', 'Passw0rd-alice');
    bob = await login('bob', 'Passw0rd-bob');
  });

  after(async () => {
    await manager?.stop();
  });

  test('the first admin exists from the start, with the password the operator chose', async () => {
    const session = await login('admin', 'Admin-pass1');
    assert.deepEqual((await ok(session, 'GET', '/berth/v1/whoami')).json(), { User: 'admin', Auth: 'session', Role: 'admin', Teams: [] });
  });

  test("a team member sees and changes only their team's objects; another team's are not found", async () => {
    await ok(alice, 'POST', '/services/create', service('shop_web', { 'com.docker.stack.namespace': 'shop' }));
    await ok(bob, 'POST', '/secrets/create', { Name: 'blog_key', Labels: { 'berth.team': 'blog' }, Data: Buffer.from('s3cret').toString('base64') });
    await ok(bob, 'POST', '/services/create', service('blog_web', { 'berth.team': 'blog' }));
    assert.deepEqual((await ok(alice, 'GET', '/services')).json<{ Spec: { Name: string } }[]>().map((s) => s.Spec.Name), ['shop_web']);
    assert.deepEqual((await ok(bob, 'GET', '/services')).json<{ Spec: { Name: string } }[]>().map((s) => s.Spec.Name), ['blog_web']);
    assert.deepEqual((await ok(admin, 'GET', '/services')).json<unknown[]>().length, 2);
    assert.deepEqual((await ok(alice, 'GET', '/secrets')).json<unknown[]>(), []);
    const tasks = (await ok(alice, 'GET', '/tasks')).json<{ ServiceID: string }[]>();
    const shopId = (await ok(alice, 'GET', '/services/shop_web')).json<{ ID: string }>().ID;
    assert.ok(tasks.every((t) => t.ServiceID === shopId));

    const blog = (await ok(bob, 'GET', '/services/blog_web')).json<{ ID: string; Version: { Index: number } }>();
    for (const [method, path] of [['GET', '/services/blog_web'], ['GET', `/services/${blog.ID}`], ['DELETE', '/services/blog_web'], ['GET', '/secrets/blog_key']]) {
      const res = await call(alice, method!, path!);
      assert.equal(res.status, 404, `${method} ${path}: ${res.body}`);
      assert.match(res.json<{ message: string }>().message, /^(service|secret) \S+ not found$/);
    }
    const update = await call(alice, 'POST', `/services/${blog.ID}/update?version=${blog.Version.Index}`, service('blog_web', { 'berth.team': 'shop' }));
    assert.equal(update.status, 404, 'taking over another team\'s service');
  });

  test("a member's event stream holds their teams' objects, never another team's", async () => {
    const events = async (who: Credentials): Promise<string[]> => {
      const res = await ok(who, 'GET', `/events?since=0&until=${Date.now() / 1000}`);
      const lines = res.body.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { Type: string; Action: string; Actor: { Attributes: Record<string, string> } });
      return lines.map((e) => `${e.Type} ${e.Action} ${e.Actor.Attributes['service.name'] ?? e.Actor.Attributes.name}`);
    };
    const alices = await events(alice);
    assert.ok(alices.includes('service create shop_web') && alices.includes('task create shop_web'), alices.join(', '));
    assert.deepEqual(alices.filter((e) => e.includes('blog')), []);
    const bobs = await events(bob);
    assert.ok(bobs.includes('secret create blog_key') && bobs.includes('service create blog_web'), bobs.join(', '));
    assert.deepEqual(bobs.filter((e) => e.includes('shop')), []);
    const admins = await events(admin);
    assert.ok(admins.includes('service create shop_web') && admins.includes('service create blog_web'));
  });

  test("what a member creates must be their team's, and use only their team's secrets, no bind mounts", async () => {
    const unlabelled = await call(alice, 'POST', '/services/create', service('loose', {}));
    assert.equal(unlabelled.status, 403);
    assert.match(unlabelled.json<{ message: string }>().message, /must belong to your team: deploy it in a stack your team owns or label it berth\.team=TEAM \(your teams: shop \(stacks shop\)\)/);
    const borrowed = await call(alice, 'POST', '/services/create', service('shop_thief', { 'com.docker.stack.namespace': 'shop' }, { Secrets: [{ SecretName: 'blog_key', File: { Name: 'k' } }] }));
    assert.equal(borrowed.status, 404);
    assert.equal(borrowed.json<{ message: string }>().message, 'secret blog_key not found');
    const bind = await call(alice, 'POST', '/services/create', service('shop_root', { 'com.docker.stack.namespace': 'shop' }, { Mounts: [{ Type: 'bind', Source: '/', Target: '/host' }] }));
    assert.equal(bind.status, 403);
    assert.match(bind.body, /bind mounts/);
    const disguised = await call(alice, 'POST', '/services/create', service('shop_vol', { 'com.docker.stack.namespace': 'shop' }, { Mounts: [{ Type: 'volume', Source: 'root', Target: '/host', VolumeOptions: { DriverConfig: { Name: 'local', Options: { type: 'none', o: 'bind', device: '/' } } } }] }));
    assert.equal(disguised.status, 403);
    assert.match(disguised.body, /volume driver options/);
    assert.equal((await ok(admin, 'GET', '/services')).json<unknown[]>().length, 2, 'nothing was created by a refused request');
  });

  test('a team lead changes their team\'s members, not what it owns; others\' teams are unknown to them', async () => {
    await ok(admin, 'POST', '/berth/v1/teams/shop/update', { Members: [{ User: 'alice', Role: 'lead' }] });
    const lead = await ok(alice, 'POST', '/berth/v1/teams/shop/update', { Members: [{ User: 'alice', Role: 'lead' }, { User: 'bob', Role: 'viewer' }] });
    assert.deepEqual(lead.json<{ Members: unknown[] }>().Members, [{ User: 'alice', Role: 'lead' }, { User: 'bob', Role: 'viewer' }]);
    assert.equal((await call(alice, 'POST', '/berth/v1/teams/shop/update', { Stacks: ['shop', 'blog'] })).status, 403);
    assert.equal((await call(alice, 'GET', '/berth/v1/teams/blog')).status, 404);
    // bob now sees shop's service, read-only.
    assert.deepEqual((await ok(bob, 'GET', '/services')).json<{ Spec: { Name: string } }[]>().map((s) => s.Spec.Name).sort(), ['blog_web', 'shop_web']);
    const shop = (await ok(bob, 'GET', '/services/shop_web')).json<{ ID: string; Version: { Index: number } }>();
    assert.equal((await call(bob, 'DELETE', `/services/${shop.ID}`)).status, 403);
    await ok(alice, 'POST', '/berth/v1/teams/shop/update', { Members: [{ User: 'alice', Role: 'operator' }] });
  });

  test('tokens: shown once, scoped, revocable at once; forged, expired and malformed ones are refused', async () => {
    await ok(admin, 'POST', '/berth/v1/users/alice/update', { Role: 'operator' });
    const made = (await ok(alice, 'POST', '/berth/v1/tokens', { Name: 'ci', Role: 'viewer', ExpiresIn: '24h' })).json<{ ID: string; Token: string; Role: string }>();
    assert.equal(made.Role, 'viewer');
    const ci = { token: made.Token };
    assert.deepEqual((await ok(ci, 'GET', '/berth/v1/whoami')).json<{ Role: string; Auth: string }>(), { User: 'alice', Auth: 'token', Role: 'viewer', Teams: [{ Team: 'shop', Role: 'operator', Stacks: ['shop'] }] });
    const listed = (await ok(alice, 'GET', '/berth/v1/tokens')).json<Record<string, unknown>[]>();
    assert.ok(listed.every((t) => !('Token' in t) && !('SecretHash' in t)), 'the secret is never shown again');
    // A viewer token cannot deploy cluster-wide, but the team still lets it deploy the team's own.
    assert.equal((await call(ci, 'POST', '/services/create', service('x', {}))).status, 403);

    const secret = made.Token.split('_')[2]!;
    const bobs = (await ok(bob, 'POST', '/berth/v1/tokens', { Name: 'mine' })).json<{ ID: string; Token: string }>();
    for (const forged of [`berth_${bobs.ID}_${secret}`, `berth_${made.ID}_${'0'.repeat(64)}`, 'berth_nonsense', `${made.Token}x`]) {
      const res = await call({ token: forged }, 'GET', '/services');
      assert.equal(res.status, 401, forged);
      assert.match(res.json<{ message: string }>().message, /the token is not valid/);
    }
    assert.equal((await call(bob, 'DELETE', `/berth/v1/tokens/${made.ID}`)).status, 404, "another user's token is not theirs to revoke");
    await ok(alice, 'DELETE', `/berth/v1/tokens/${made.ID}`);
    assert.equal((await call(ci, 'GET', '/services')).status, 401, 'revoked at once');

    const short = (await ok(alice, 'POST', '/berth/v1/tokens', { Name: 'short', ExpiresIn: '1s' })).json<{ Token: string }>();
    await sleep(1100);
    const expired = await call({ token: short.Token }, 'GET', '/services');
    assert.equal(expired.status, 401);
    assert.match(expired.body, /expired at/);
    assert.equal((await call(alice, 'POST', '/berth/v1/tokens', { Name: 'forever', ExpiresIn: '100000h' })).status, 400);
  });

  test("a disabled user's session, tokens and certificates stop at once; a removed user's certificates are revoked", async () => {
    const keys = await newKeyPair();
    const issued = await ok(admin, 'POST', '/berth/v1/client-certificates', { Name: 'alice', CSR: await certificateRequest(keys, 'alice') });
    const cert = { key: await keyPem(keys.privateKey), cert: issued.json<{ Certificate: string }>().Certificate };
    const pat = { token: (await ok(alice, 'POST', '/berth/v1/tokens', { Name: 'pat' })).json<{ Token: string }>().Token };
    assert.deepEqual((await ok(cert, 'GET', '/berth/v1/whoami')).json<{ User: string; Auth: string; Role: string }>().Role, 'operator', 'a certificate for a user acts with their role');
    await ok(admin, 'POST', '/berth/v1/users/alice/update', { Disabled: true });
    for (const who of [alice, pat, cert]) {
      const res = await call(who, 'GET', '/services');
      assert.equal(res.status, 401);
      assert.match(res.body, /user alice is disabled/);
    }
    assert.equal((await call(undefined, 'POST', '/berth/v1/login', { Username: 'alice', Password: 'Passw0rd-alice' })).status, 401);
    await ok(admin, 'POST', '/berth/v1/users/alice/update', { Disabled: false });
    await ok(cert, 'GET', '/services');
    await ok(admin, 'DELETE', '/berth/v1/users/alice');
    await ok(admin, 'POST', '/berth/v1/users', { Name: 'alice', Password: 'Passw0rd-alice2', Role: 'admin' });
    // A revoked certificate's connection is closed.
    await assert.rejects(call(cert, 'GET', '/services'), /socket hang up|ECONNRESET/, "the old alice's certificate does not act for the new alice");
    assert.equal((await call(pat, 'GET', '/services')).status, 401);
  });

  test('1,000 wrong passwords: 429 after 10 from that address, no lockout of the right user from another', async () => {
    const statuses = new Map<number, number>();
    for (let i = 0; i < 1000; i++) {
      const res = await call(undefined, 'POST', '/berth/v1/login', { Username: 'bob', Password: `wrong-${i}` }, '127.0.0.1');
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    }
    assert.deepEqual([...statuses.entries()].sort(), [[401, 10], [429, 990]]);
    assert.equal((await call(undefined, 'POST', '/berth/v1/login', { Username: 'bob', Password: 'Passw0rd-bob' }, '127.0.0.1')).status, 429, 'blocked from that address, even with the right password');
    assert.equal((await call(undefined, 'POST', '/berth/v1/login', { Username: 'bob', Password: 'Passw0rd-bob' }, '127.0.0.2')).status, 200);
  });

  test('the audit log names the user and how they authenticated', async () => {
    const log = (await ok(admin, 'GET', '/berth/v1/audit?action=service.create&user=bob')).json<{ User: string; Auth: string; Status: number }[]>();
    assert.deepEqual({ User: log[0]!.User, Auth: log[0]!.Auth, Status: log[0]!.Status }, { User: 'bob', Auth: 'session', Status: 201 });
  });
});
