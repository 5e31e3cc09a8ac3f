// OpenID Connect login on a real manager against a real provider (oidc-provider, in-process on
// loopback; docs/access.md, "OIDC"): an administrator configures it, a browser-style login makes
// the user with their groups, groups give teams, a refresh re-reads them (a removed group loses
// the team at once), a refused refresh ends the session; forged, replayed and foreign states,
// bad claims and names taken are refused; the CLI's device flow ends in a session too.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Manager } from '../../src/manager/index.js';
import { silentLogger } from '../../src/common/log.js';
import { tempDir } from '../helpers/berth.js';
import { httpsCaller, type Credentials } from '../helpers/https-call.js';
import { Browser, CLIENT, startProvider, type TestProvider } from '../helpers/oidc-provider.js';

const service = (name: string, stack: string) => ({ Name: name, Labels: { 'com.docker.stack.namespace': stack }, TaskTemplate: { ContainerSpec: { Image: 'busybox:1.36' } }, Mode: { Replicated: { Replicas: 1 } } });

describe('OIDC login', { timeout: 120_000 }, () => {
  const dir = tempDir('oidc');
  let manager: Manager;
  let provider: TestProvider;
  let port = 0;
  let ca = '';
  let admin: Credentials;
  const call = httpsCaller(() => port, () => ca);
  const base = () => `https://127.0.0.1:${port}`;
  const ok = async (who: Credentials | undefined, method: string, path: string, body?: unknown) => {
    const res = await call(who, method, path, body);
    assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${res.body}`);
    return res;
  };

  /** A browser login as `user`; returns the browser and the callback URL the provider sent it to. */
  const startLogin = async (user: string) => {
    const browser = new Browser(ca);
    const start = await browser.go(`${base()}/berth/v1/oidc/login`);
    assert.equal(start.status, 302, start.body);
    const { location } = await browser.walk(start.headers.location!, user, `${base()}/berth/v1/oidc/callback`);
    assert.ok(location, 'the provider sends the browser back to the callback');
    return { browser, callback: location };
  };
  const browserLogin = async (user: string) => {
    const { browser, callback } = await startLogin(user);
    const res = await browser.go(callback);
    return { res, browser, callback };
  };

  before(async () => {
    manager = await Manager.start({ dataDir: dir, listen: '127.0.0.1:0', clusterListen: '127.0.0.1:0', log: silentLogger(), version: 'test', adminPassword: 'Admin-pass1' });
    port = Number(new URL(manager.url).port);
    ca = readFileSync(join(dir, 'client', 'ca.pem'), 'utf8');
    admin = { key: readFileSync(join(dir, 'client', 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'client', 'cert.pem'), 'utf8') };
    provider = await startProvider(`${base()}/berth/v1/oidc/callback`);
    await ok(admin, 'POST', '/berth/v1/teams', { Name: 'shop', Members: [], Stacks: ['shop'], Groups: [{ Group: 'shop-devs', Role: 'operator' }] });
    await ok(admin, 'POST', '/berth/v1/teams', { Name: 'blog', Members: [], Stacks: ['blog'], Groups: [{ Group: 'blog-devs', Role: 'operator' }] });
    await ok(admin, 'POST', '/services/create', service('shop_web', 'shop'));
    await ok(admin, 'POST', '/services/create', service('blog_web', 'blog'));
  });

  after(async () => {
    await manager?.stop();
    await provider?.close();
  });

  test('an administrator sets the provider; the secret is never shown; bad issuers are refused', async () => {
    assert.equal((await call(undefined, 'GET', '/berth/v1/oidc/login')).status, 404);
    for (const [issuer, field] of [
      ['http://169.254.169.254/latest', 'Issuer'],
      ['https://169.254.169.254/', 'link-local'],
      ['http://login.example.com', 'http only on loopback'],
      ['https://user:pw@login.example.com', 'no credentials'],
    ]) {
      const res = await call(admin, 'PUT', '/berth/v1/oidc', { Issuer: issuer, ClientId: CLIENT.id, ClientSecret: CLIENT.secret });
      assert.equal(res.status, 400, `${issuer}: ${res.body}`);
      assert.match(res.json<{ message: string }>().message, new RegExp(field!));
    }
    const noOpenid = await call(admin, 'PUT', '/berth/v1/oidc', { Issuer: provider.issuer, ClientId: CLIENT.id, ClientSecret: CLIENT.secret, Scopes: 'profile' });
    assert.equal(noOpenid.status, 400);
    const set = await ok(admin, 'PUT', '/berth/v1/oidc', { Issuer: provider.issuer, ClientId: CLIENT.id, ClientSecret: CLIENT.secret });
    assert.equal(set.json<{ Scopes: string }>().Scopes, 'openid profile email groups');
    const shown = await ok(admin, 'GET', '/berth/v1/oidc');
    assert.ok(!shown.body.includes(CLIENT.secret) && !shown.body.includes('StateKey'), shown.body);
    // The secret is write-only: a later change need not repeat it.
    await ok(admin, 'PUT', '/berth/v1/oidc', { Issuer: provider.issuer, ClientId: CLIENT.id });
  });

  test('a browser login makes the user with their groups; a group gives its team, not the others', async () => {
    provider.accounts.set('carol', { groups: ['shop-devs', 'unrelated'] });
    const { res } = await browserLogin('carol');
    assert.equal(res.status, 200, res.body);
    const session = JSON.parse(res.body) as { Token: string; ExpiresAt: string; User: string };
    assert.equal(session.User, 'carol');
    assert.ok(Date.parse(session.ExpiresAt) <= Date.now() + 3600_000 + 5000, 'an OIDC session lasts at most an hour');
    const carol = { token: session.Token };
    assert.deepEqual((await ok(carol, 'GET', '/berth/v1/whoami')).json(), { User: 'carol', Auth: 'session', Role: '', Teams: [{ Team: 'shop', Role: 'operator', Stacks: ['shop'] }] });
    assert.equal((await ok(admin, 'GET', '/berth/v1/users/carol')).json<{ Source: string }>().Source, 'oidc');
    await ok(carol, 'GET', '/services/shop_web');
    assert.equal((await call(carol, 'GET', '/services/blog_web')).status, 404);
    const audit = (await ok(admin, 'GET', '/berth/v1/audit?user=carol')).json<{ Path: string; Status: number }[]>();
    assert.ok(audit.some((e) => e.Path === '/berth/v1/oidc/callback' && e.Status === 200), JSON.stringify(audit));
  });

  test('a browser is answered a page that shows the token once', async () => {
    provider.accounts.set('erin', { groups: [] });
    const { browser, callback } = await startLogin('erin');
    const page = await browser.go(callback, { headers: { accept: 'text/html' } });
    assert.equal(page.status, 200);
    assert.match(page.headers['content-type'] ?? '', /text\/html/);
    assert.match(page.body, /Signed in as erin[\s\S]*berth_[0-9a-z]{25}_[0-9a-f]{64}/);
  });

  test('a replayed, forged or foreign state is refused', async () => {
    provider.accounts.set('frank', { groups: [] });
    const first = await startLogin('frank');
    const jar = first.browser.cookies.get(`127.0.0.1:${port}`)!;
    const cookie = jar.get('berth_oidc_login')!;
    assert.equal((await first.browser.go(first.callback)).status, 200);
    // The answer cleared the cookie; with it put back the state is still refused.
    jar.set('berth_oidc_login', cookie);
    const replay = await first.browser.go(first.callback);
    assert.equal(replay.status, 400);
    assert.match(replay.body, /already answered/);

    const { browser, callback } = await startLogin('frank');
    const url = new URL(callback);
    const state = url.searchParams.get('state')!;
    // Another browser (without the cookie this login set) cannot answer it.
    const elsewhere = await new Browser(ca).go(callback);
    assert.equal(elsewhere.status, 400);
    assert.match(elsewhere.body, /not started in this browser/);
    const forged = new URL(callback);
    forged.searchParams.set('state', `${state.slice(0, -2)}${state.endsWith('AA') ? 'BB' : 'AA'}`);
    const res = await browser.go(forged.href);
    assert.equal(res.status, 400);
    assert.match(res.body, /not a login state of this cluster/);
    // The real one still works once.
    assert.equal((await browser.go(callback)).status, 200);
  });

  test('a refresh reads the groups again: a removed group loses its team at once', async () => {
    provider.accounts.set('gina', { groups: ['shop-devs'] });
    const { res } = await browserLogin('gina');
    const gina = { token: JSON.parse(res.body).Token as string };
    await ok(gina, 'GET', '/services/shop_web');
    provider.accounts.set('gina', { groups: ['blog-devs'] });
    const renewed = await ok(gina, 'POST', '/berth/v1/oidc/refresh');
    assert.equal(renewed.json<{ Token: string }>().Token, gina.token);
    assert.equal((await call(gina, 'GET', '/services/shop_web')).status, 404);
    await ok(gina, 'GET', '/services/blog_web');
    assert.deepEqual((await ok(admin, 'GET', '/berth/v1/users/gina')).json<{ Source: string }>().Source, 'oidc');
  });

  test('a refresh the provider refuses ends the session', async () => {
    provider.accounts.set('hank', { groups: ['shop-devs'] });
    const { res } = await browserLogin('hank');
    const hank = { token: JSON.parse(res.body).Token as string };
    provider.accounts.set('hank', { groups: ['shop-devs'], gone: true });
    const refused = await call(hank, 'POST', '/berth/v1/oidc/refresh');
    assert.equal(refused.status, 401, refused.body);
    assert.match(refused.body, /session ended/);
    assert.equal((await call(hank, 'GET', '/berth/v1/whoami')).status, 401);
    // Only OIDC sessions are renewed there.
    assert.equal((await call(admin, 'POST', '/berth/v1/oidc/refresh')).status, 400);
  });

  test("a name a local user holds is not taken over; a groups claim that is not a list is refused", async () => {
    await ok(admin, 'POST', '/berth/v1/users', { Name: 'ivan', Password: 'Passw0rd-ivan' });
    provider.accounts.set('ivan', { groups: [] });
    const taken = await browserLogin('ivan');
    assert.equal(taken.res.status, 403);
    assert.match(taken.res.body, /taken by a local user/);
    provider.accounts.set('judy', { groups: 'shop-devs' });
    const bad = await browserLogin('judy');
    assert.equal(bad.res.status, 403);
    assert.match(bad.res.body, /groups.{0,2}" claim is not a list/);
    provider.accounts.set('kate', { groups: Array.from({ length: 1001 }, (_, i) => `g${i}`) });
    assert.equal((await browserLogin('kate')).res.status, 403);
    assert.equal((await call(admin, 'GET', '/berth/v1/users/judy')).status, 404);
  });

  test('the device flow: pending until approved at the provider, then a session', async () => {
    provider.accounts.set('lena', { groups: ['shop-devs'] });
    const started = (await ok(undefined, 'POST', '/berth/v1/oidc/device')).json<{ UserCode: string; VerificationUri: string; VerificationUriComplete: string; Interval: number; Handle: string }>();
    assert.ok(started.UserCode && started.VerificationUri.startsWith(provider.issuer) && started.Interval > 0);
    const pending = await call(undefined, 'POST', '/berth/v1/oidc/device/token', { Handle: started.Handle });
    assert.equal(pending.status, 400);
    assert.match(pending.body, /authorization_pending/);
    assert.equal((await call(undefined, 'POST', '/berth/v1/oidc/device/token', { Handle: `${started.Handle.slice(0, -4)}AAAA` })).status, 400);
    const { page } = await new Browser(ca).walk(started.VerificationUriComplete, 'lena');
    assert.match(page?.body ?? '', /Sign-in Success/i);
    // The provider asks clients not to poll faster than Interval.
    await new Promise((resolve) => setTimeout(resolve, started.Interval * 1000));
    const done = await ok(undefined, 'POST', '/berth/v1/oidc/device/token', { Handle: started.Handle });
    const lena = { token: done.json<{ Token: string }>().Token };
    assert.deepEqual((await ok(lena, 'GET', '/berth/v1/whoami')).json<{ Teams: unknown[] }>().Teams, [{ Team: 'shop', Role: 'operator', Stacks: ['shop'] }]);
    const audit = (await ok(admin, 'GET', '/berth/v1/audit?user=lena')).json<{ Path: string; Status: number }[]>();
    assert.ok(audit.some((e) => e.Path === '/berth/v1/oidc/device/token' && e.Status === 200), JSON.stringify(audit));
  });

  test('berth oidc login: the code to approve, then the session saved for the user (no client certificate needed)', async () => {
    provider.accounts.set('nina', { groups: ['blog-devs'] });
    const home = tempDir('oidc-home');
    const certs = tempDir('oidc-certs');
    writeFileSync(join(certs, 'ca.pem'), ca);
    const cli = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--host', base(), 'oidc', 'login'], { env: { ...process.env, HOME: home, DOCKER_CERT_PATH: certs }, stdio: ['ignore', 'pipe', 'pipe'] });
    let printed = '';
    cli.stdout.on('data', (d: Buffer) => (printed += d.toString()));
    cli.stderr.on('data', (d: Buffer) => (printed += d.toString()));
    const exited = new Promise<number | null>((resolve) => cli.on('exit', resolve));
    while (!/Open (\S+) and enter the code/.test(printed)) {
      assert.equal(cli.exitCode, null, printed);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const url = /Open (\S+) and enter the code/.exec(printed)![1]!;
    await new Browser(ca).walk(url, 'nina');
    assert.equal(await exited, 0, printed);
    assert.match(printed, /Logged in as nina/);
    const file = join(home, '.berth', 'manager-auth.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const saved = (JSON.parse(readFileSync(file, 'utf8')) as Record<string, { token: string; user: string }>)[base()]!;
    assert.equal(saved.user, 'nina');
    assert.equal((await ok({ token: saved.token }, 'GET', '/berth/v1/whoami')).json<{ User: string }>().User, 'nina');
    // Every berth command then uses the session, with ca.pem alone.
    const listed = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const ls = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--host', base(), 'token', 'ls'], { env: { ...process.env, HOME: home, DOCKER_CERT_PATH: certs }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      ls.stdout.on('data', (d: Buffer) => (out += d.toString()));
      ls.stderr.on('data', (d: Buffer) => (out += d.toString()));
      ls.on('exit', (code) => resolve({ code, out }));
    });
    assert.equal(listed.code, 0, listed.out);
    assert.match(listed.out, /nina\s+session\s+oidc/);
  });

  test('turning OIDC off ends its sessions and its logins', async () => {
    provider.accounts.set('mona', { groups: [] });
    const { res } = await browserLogin('mona');
    const mona = { token: JSON.parse(res.body).Token as string };
    await ok(admin, 'DELETE', '/berth/v1/oidc');
    assert.equal((await call(mona, 'GET', '/berth/v1/whoami')).status, 401);
    assert.equal((await call(undefined, 'GET', '/berth/v1/oidc/login')).status, 404);
  });
});
