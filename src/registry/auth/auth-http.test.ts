// Token auth and the admin API over real HTTP against a started Registry (own SQLite store).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { get } from 'node:http';
import { join } from 'node:path';
import { silentLogger } from '../../common/log.js';
import { Registry } from '../registry.js';
import { TokenKeys } from './tokens.js';
import { issueToken } from '../../users/tokens.js';

const ADMIN = 'Admin12345';
const basic = (user: string, pass: string): string => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
/** The fields these tests read from JSON answers (admin API, token endpoint and /v2 errors). */
interface Body {
  message: string;
  errors: { code: string; message: string }[];
  token: string;
  access_token: string;
  expires_in: number;
  scope: string;
  error: string;
  Name: string;
  Public: boolean;
  QuotaBytes: number;
  Secret: string;
  length: number;
  [index: number]: Body;
}
const sha256 = (s: string): string => `sha256:${createHash('sha256').update(s).digest('hex')}`;

describe('registry token auth and admin API', () => {
  let dir: string;
  let registry: Registry;
  let url: string;

  const api = async (method: string, path: string, auth: string | undefined, body?: unknown): Promise<{ status: number; json: Body; headers: Headers }> => {
    const res = await fetch(`${url}/berth/v1/registry${path}`, {
      method,
      headers: { ...(auth && { Authorization: auth }), ...(body !== undefined && { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: (text ? JSON.parse(text) : undefined) as Body, headers: res.headers };
  };
  const token = async (auth: string | undefined, ...scopes: string[]): Promise<{ status: number; body: Body }> => {
    const q = new URLSearchParams({ service: 'berth-registry' });
    for (const s of scopes) q.append('scope', s);
    const res = await fetch(`${url}/service/token?${q}`, { headers: auth ? { Authorization: auth } : {} });
    return { status: res.status, body: (await res.json()) as Body };
  };
  const accessOf = (jwt: string): unknown => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()).access;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-auth-http-'));
    registry = await Registry.start({ dataDir: dir, listen: '127.0.0.1:0', log: silentLogger(), adminPassword: ADMIN });
    url = registry.url;
    const admin = basic('admin', ADMIN);
    assert.equal((await api('POST', '/projects', admin, { Name: 'team' })).status, 201);
    assert.equal((await api('POST', '/users', admin, { Name: 'dev', Password: 'Dev123456' })).status, 201);
    assert.equal((await api('POST', '/users', admin, { Name: 'guest', Password: 'Guest1234' })).status, 201);
    assert.equal((await api('POST', '/projects/team/members', admin, { User: 'dev', Role: 'developer' })).status, 201);
    assert.equal((await api('POST', '/projects/team/members', admin, { User: 'guest', Role: 'guest' })).status, 201);
  });
  after(async () => {
    await registry?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('the first start made admin (given password, nothing to show) and the public library project', async () => {
    assert.equal(registry.initialAdminPassword, undefined);
    const lib = await api('GET', '/projects/library', basic('admin', ADMIN));
    assert.equal(lib.json.Public, true);
    assert.equal(lib.json.QuotaBytes, -1);
  });

  test('every /v2 request without a token gets 401 and a Bearer challenge (scope only when a repository is named)', async () => {
    const base = await fetch(`${url}/v2/`);
    assert.equal(base.status, 401);
    assert.equal(base.headers.get('www-authenticate'), `Bearer realm="${url}/service/token",service="berth-registry"`);
    const put = await fetch(`${url}/v2/team/app/manifests/1`, { method: 'PUT', body: '{}' });
    assert.equal(put.status, 401);
    assert.equal(put.headers.get('www-authenticate'), `Bearer realm="${url}/service/token",service="berth-registry",scope="repository:team/app:pull,push"`);
    assert.equal(((await put.json()) as Body).errors[0]!.code, 'UNAUTHORIZED');
  });

  test('the token endpoint grants the intersection of asked and allowed, never failing for too much', async () => {
    const dev = await token(basic('dev', 'Dev123456'), 'repository:team/app:pull,push,delete', 'repository:other/x:pull');
    assert.equal(dev.status, 200);
    assert.equal(dev.body.token, dev.body.access_token);
    assert.ok(dev.body.expires_in >= 60);
    assert.deepEqual(accessOf(dev.body.token), [
      { type: 'repository', name: 'team/app', actions: ['pull', 'push'] },
      { type: 'repository', name: 'other/x', actions: [] },
    ]);
    const anon = await token(undefined, 'repository:library/x:pull,push', 'repository:team/app:pull');
    assert.deepEqual(accessOf(anon.body.token), [
      { type: 'repository', name: 'library/x', actions: ['pull'] },
      { type: 'repository', name: 'team/app', actions: [] },
    ]);
    assert.equal((await token(basic('dev', 'wrong'), 'repository:team/app:pull')).status, 401);
    assert.equal((await token(basic('nobody', 'Dev123456'))).status, 401);
  });

  test('the OAuth2 POST form with grant_type=password, and a clear refusal of other grants', async () => {
    const post = (form: Record<string, string>) =>
      fetch(`${url}/service/token`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
    const ok = await post({ grant_type: 'password', username: 'guest', password: 'Guest1234', service: 'berth-registry', client_id: 'test', scope: 'repository:team/app:pull,push' });
    assert.equal(ok.status, 200);
    const body = (await ok.json()) as Body;
    assert.equal(body.scope, 'repository:team/app:pull');
    assert.deepEqual(accessOf(body.access_token), [{ type: 'repository', name: 'team/app', actions: ['pull'] }]);
    assert.equal((await post({ grant_type: 'password', username: 'guest', password: 'nope', service: 'berth-registry', client_id: 'test' })).status, 401);
    const refresh = await post({ grant_type: 'refresh_token', refresh_token: 'x', service: 'berth-registry', client_id: 'test' });
    assert.equal(refresh.status, 400);
    assert.equal(((await refresh.json()) as Body).error, 'unsupported_grant_type');
  });

  test('a token without the scope gets 401 insufficient_scope; a forged or expired token invalid_token; a push into a missing project DENIED', async () => {
    const guest = (await token(basic('guest', 'Guest1234'), 'repository:team/app:pull,push')).body.token;
    const push = await fetch(`${url}/v2/team/app/blobs/uploads/`, { method: 'POST', headers: { Authorization: `Bearer ${guest}` } });
    assert.equal(push.status, 401);
    assert.match(push.headers.get('www-authenticate')!, /scope="repository:team\/app:pull,push",error="insufficient_scope"$/);
    assert.match(((await push.json()) as Body).errors[0]!.message, /guest may not push team\/app/);
    // The same token pulls.
    assert.equal((await fetch(`${url}/v2/team/app/tags/list`, { headers: { Authorization: `Bearer ${guest}` } })).status, 404);

    const forged = `${guest.slice(0, guest.lastIndexOf('.'))}.${Buffer.alloc(64).toString('base64url')}`;
    const bad = await fetch(`${url}/v2/`, { headers: { Authorization: `Bearer ${forged}` } });
    assert.equal(bad.status, 401);
    assert.match(bad.headers.get('www-authenticate')!, /error="invalid_token"/);

    // A token of this registry's own key, but expired: refused, and nothing of the push is written.
    const keys = await TokenKeys.open(dir);
    const expired = await keys.issue('admin', [{ type: 'repository', name: 'team/app', actions: ['pull', 'push'] }], 60, Date.now() - 3_600_000);
    const late = await fetch(`${url}/v2/team/app/blobs/uploads/`, { method: 'POST', headers: { Authorization: `Bearer ${expired.token}` } });
    assert.equal(late.status, 401);
    assert.match(late.headers.get('www-authenticate')!, /error="invalid_token"/);
    assert.match(((await late.json()) as Body).errors[0]!.message, /expired/);
    assert.deepEqual(await readdir(join(dir, 'storage', 'uploads')).catch(() => []), []);

    const admin = (await token(basic('admin', ADMIN), 'repository:nowhere/app:pull,push')).body.token;
    const denied = await fetch(`${url}/v2/nowhere/app/blobs/uploads/`, { method: 'POST', headers: { Authorization: `Bearer ${admin}` } });
    assert.equal(denied.status, 403);
    const err = ((await denied.json()) as Body).errors[0]!;
    assert.equal(err.code, 'DENIED');
    assert.match(err.message, /project nowhere does not exist: create it first \(berth project create nowhere\)/);
    // Clients check blobs with HEAD first: a 404 lets them go on to the POST, which carries the message.
    const head = await fetch(`${url}/v2/nowhere/app/blobs/sha256:${'0'.repeat(64)}`, { method: 'HEAD', headers: { Authorization: `Bearer ${admin}` } });
    assert.equal(head.status, 404);
  });

  test('the admin API: 401 without credentials, 403 without the right, field errors naming the field', async () => {
    const none = await api('GET', '/users', undefined);
    assert.equal(none.status, 401);
    assert.ok(none.headers.get('www-authenticate'));
    assert.equal((await api('GET', '/users', basic('dev', 'Dev123456'))).status, 403);
    assert.equal((await api('GET', '/users', basic('dev', 'wrong'))).status, 401);
    const admin = basic('admin', ADMIN);
    assert.match((await api('POST', '/users', admin, { Name: 'Bob', Password: 'Bob123456' })).json.message, /^Name: /);
    assert.match((await api('POST', '/users', admin, { Name: 'bob', Password: 'short' })).json.message, /^Password: .*8 to 128/);
    assert.match((await api('POST', '/projects', admin, { Name: '-x' })).json.message, /^Name: a project name/);
    assert.match((await api('POST', '/projects/team/members', admin, { User: 'dev', Role: 'owner' })).json.message, /^Role: use one of/);
    assert.equal((await api('POST', '/projects', admin, { Name: 'team' })).status, 409);
    // A guest may read the project, not change it; a developer may not add members.
    assert.equal((await api('GET', '/projects/team', basic('guest', 'Guest1234'))).status, 200);
    assert.equal((await api('PUT', '/projects/team', basic('guest', 'Guest1234'), { Public: true })).status, 403);
    assert.equal((await api('POST', '/projects/team/members', basic('dev', 'Dev123456'), { User: 'guest', Role: 'developer' })).status, 403);
  });

  test('users change their own password with the old one; others only as administrators', async () => {
    assert.equal((await api('POST', '/users', basic('admin', ADMIN), { Name: 'carol', Password: 'Carol1234' })).status, 201);
    const carol = basic('carol', 'Carol1234');
    assert.equal((await api('PUT', '/users/carol/password', carol, { Password: 'Carol5678', OldPassword: 'wrong' })).status, 403);
    assert.equal((await api('PUT', '/users/dev/password', carol, { Password: 'Carol5678' })).status, 403);
    assert.equal((await api('PUT', '/users/carol/password', carol, { Password: 'Carol5678', OldPassword: 'Carol1234' })).status, 204);
    assert.equal((await token(basic('carol', 'Carol5678'))).status, 200);
    assert.equal((await api('DELETE', '/users/carol', basic('admin', ADMIN))).status, 204);
    assert.equal((await token(basic('carol', 'Carol5678'))).status, 401);
  });

  test('robots: secret shown once, hashed at rest; disabled or expired robots cannot log in; permissions scoped to their project', async () => {
    const admin = basic('admin', ADMIN);
    const created = await api('POST', '/robots', admin, { Name: 'ci', Project: 'team', Actions: ['pull', 'push'] });
    assert.equal(created.status, 201);
    assert.equal(created.json.Name, 'robot$team+ci');
    assert.ok(created.json.Secret.length >= 40);
    const listed = await api('GET', '/robots?project=team', admin);
    assert.equal(listed.json.length, 1);
    assert.equal(listed.json[0]!.Secret, undefined);
    assert.equal(JSON.stringify(registry.store.view((tx) => tx.registryRobots.list())).includes(created.json.Secret), false, 'only a hash is stored');

    const robot = basic('robot$team+ci', created.json.Secret);
    const t = await token(robot, 'repository:team/app:pull,push,delete', 'repository:library/x:push');
    assert.deepEqual(accessOf(t.body.token), [
      { type: 'repository', name: 'team/app', actions: ['pull', 'push'] },
      { type: 'repository', name: 'library/x', actions: [] },
    ]);
    assert.equal((await api('PUT', '/robots/robot$team+ci', admin, { Disabled: true })).status, 200);
    const disabled = await token(robot);
    assert.equal(disabled.status, 401);
    assert.match(disabled.body.errors[0]!.message, /disabled/);
    // A developer cannot make robots of the project; a robot needs a real action list.
    assert.equal((await api('POST', '/robots', basic('dev', 'Dev123456'), { Name: 'x', Project: 'team', Actions: ['pull'] })).status, 403);
    assert.match((await api('POST', '/robots', admin, { Name: 'y', Project: 'team', Actions: ['fly'] })).json.message, /^Actions: /);
    const ghost = await api('POST', '/robots', admin, { Name: 'z', Permissions: [{ Project: 'ghost', Actions: ['pull'] }] });
    assert.equal(ghost.status, 404);
    assert.match(ghost.json.message, /^Permissions: project ghost does not exist: .*berth project create ghost$/);

    const expiring = await api('POST', '/robots', admin, { Name: 'old', Permissions: [{ Project: '*', Actions: ['pull'] }], ExpiresInDays: 1 });
    assert.equal(expiring.json.Name, 'robot$old');
    registry.store.update((tx) => {
      const r = tx.registryRobots.byName('robot$old')!;
      tx.registryRobots.update({ ...r, Spec: { ...r.Spec, ExpiresAt: new Date(Date.now() - 1000).toISOString() } });
    });
    const expired = await token(basic('robot$old', expiring.json.Secret));
    assert.equal(expired.status, 401);
    assert.match(expired.body.errors[0]!.message, /expired/);
  });

  test('a project holding repositories is not deleted, and the refusal names them', async () => {
    const admin = basic('admin', ADMIN);
    assert.equal((await api('POST', '/projects', admin, { Name: 'full' })).status, 201);
    const t = (await token(admin, 'repository:full/app:pull,push')).body.token;
    const up = await fetch(`${url}/v2/full/app/blobs/uploads/?digest=${sha256('x')}`, { method: 'POST', body: 'x', headers: { Authorization: `Bearer ${t}` } });
    assert.equal(up.status, 201);
    const refused = await api('DELETE', '/projects/full', admin);
    assert.equal(refused.status, 403);
    assert.match(refused.json.message, /still holds repositories \(full\/app\)/);
    assert.equal((await api('POST', '/projects', admin, { Name: 'empty' })).status, 201);
    assert.equal((await api('DELETE', '/projects/empty', admin)).status, 204);
  });

  test("the admin API grants Harbor's rights: robots only what they were given; project robots listed from guest, retention from developer, immutability from maintainer", async () => {
    const admin = basic('admin', ADMIN);
    assert.equal((await api('POST', '/projects', admin, { Name: 'roles' })).status, 201);
    assert.equal((await api('POST', '/users', admin, { Name: 'maint', Password: 'Maint1234' })).status, 201);
    assert.equal((await api('POST', '/users', admin, { Name: 'outsider', Password: 'Outsider1' })).status, 201);
    for (const [user, role] of [['maint', 'maintainer'], ['dev', 'developer'], ['guest', 'guest']]) {
      assert.equal((await api('POST', '/projects/roles/members', admin, { User: user, Role: role })).status, 201);
    }
    const robot = await api('POST', '/robots', admin, { Name: 'puller', Project: 'roles', Actions: ['pull'] });
    const as = {
      maintainer: basic('maint', 'Maint1234'),
      developer: basic('dev', 'Dev123456'),
      guest: basic('guest', 'Guest1234'),
      outsider: basic('outsider', 'Outsider1'),
      'pull-only robot': basic('robot$roles+puller', robot.json.Secret),
    };
    const retention = { Rules: [{ Repositories: '**', Tags: '**', Keep: 'latestPushed', Count: 10 }] };
    const immutability = { Rules: [{ Repositories: '**', Tags: 'v*' }] };
    // Only cells where Berth answered otherwise before: each was stricter or looser than Harbor.
    const cells: [keyof typeof as, string, string, number, unknown?][] = [
      ['pull-only robot', 'GET', '/projects/roles', 403],
      ['pull-only robot', 'GET', '/projects/roles/members', 403],
      ['pull-only robot', 'GET', '/projects/roles/quota', 403],
      ['pull-only robot', 'GET', '/projects/library/members', 403],
      ['outsider', 'GET', '/projects/library/members', 403],
      ['outsider', 'GET', '/projects/library/quota', 403],
      ['guest', 'GET', '/robots?project=roles', 200],
      ['developer', 'GET', '/robots?project=roles', 200],
      ['maintainer', 'GET', '/robots?project=roles', 200],
      ['developer', 'PUT', '/projects/roles/retention', 200, retention],
      ['developer', 'GET', '/projects/roles/retention', 200],
      ['developer', 'POST', '/projects/roles/retention/run?dryRun=true', 200],
      ['developer', 'GET', '/projects/roles/retention/runs', 200],
      ['maintainer', 'PUT', '/projects/roles/retention', 200, retention],
      ['maintainer', 'GET', '/projects/roles/retention', 200],
      ['maintainer', 'POST', '/projects/roles/retention/run?dryRun=true', 200],
      ['maintainer', 'GET', '/projects/roles/retention/runs', 200],
      ['maintainer', 'PUT', '/projects/roles/immutability', 200, immutability],
      ['maintainer', 'GET', '/projects/roles/immutability', 200],
    ];
    const got: string[] = [];
    for (const [who, method, path, , body] of cells) got.push(`${who} ${method} ${path} → ${(await api(method, path, as[who], body)).status}`);
    assert.deepEqual(got, cells.map(([who, method, path, status]) => `${who} ${method} ${path} → ${status}`));

    assert.match(
      (await api('GET', '/projects/roles/quota', as['pull-only robot'])).json.message,
      /^robot\$roles\+puller may not read the quota of project roles: a robot account holds only the repository actions it was given \(pull, push, delete\); this needs a user with the guest role or higher$/,
    );
    assert.match(
      (await api('PUT', '/projects/roles/immutability', as.developer, immutability)).json.message,
      /^dev may not update the immutability rules of project roles: this needs a user with the maintainer role or higher, and dev has developer; ask one of its project admins$/,
    );
  });

  test('a token issued before its robot was disabled or expired, or its user removed, stops working at once on the admin API and on /v2', async () => {
    const admin = basic('admin', ADMIN);
    const made = await api('POST', '/robots', admin, { Name: 'soon-off', Project: 'team', Actions: ['pull'] });
    const bearer = `Bearer ${(await token(basic('robot$team+soon-off', made.json.Secret), 'repository:team/app:pull')).body.token}`;
    const pull = () => fetch(`${url}/v2/team/app/tags/list`, { headers: { Authorization: bearer } });
    const setRobot = (spec: { Disabled?: boolean; ExpiresAt?: string }) =>
      registry.store.update((tx) => {
        const r = tx.registryRobots.byName('robot$team+soon-off')!;
        tx.registryRobots.update({ ...r, Spec: { ...r.Spec, ...spec } });
      });
    const refused = async (why: RegExp): Promise<void> => {
      const adminApi = await api('GET', '/projects', bearer);
      assert.equal(adminApi.status, 401);
      assert.match(adminApi.json.message, why);
      const v2 = await pull();
      assert.equal(v2.status, 401);
      assert.match(v2.headers.get('www-authenticate')!, /error="invalid_token"$/);
      assert.match(((await v2.json()) as Body).errors[0]!.message, why);
    };

    assert.equal((await api('GET', '/projects', bearer)).status, 200);
    assert.equal((await pull()).status, 404, 'allowed: the repository has nothing yet');
    assert.equal((await api('PUT', '/robots/robot$team+soon-off', admin, { Disabled: true })).status, 200);
    await refused(/^robot account robot\$team\+soon-off is disabled$/);
    setRobot({ Disabled: false });
    assert.equal((await pull()).status, 404, 'enabled again, the same token works');
    setRobot({ ExpiresAt: new Date(Date.now() - 1000).toISOString() });
    await refused(/^robot account robot\$team\+soon-off expired at /);

    assert.equal((await api('POST', '/users', admin, { Name: 'brief', Password: 'Brief1234' })).status, 201);
    const userBearer = `Bearer ${(await token(basic('brief', 'Brief1234'), 'repository:library/x:pull')).body.token}`;
    const read = () => fetch(`${url}/v2/library/x/tags/list`, { headers: { Authorization: userBearer } });
    assert.equal((await read()).status, 404);
    assert.equal((await api('DELETE', '/users/brief', admin)).status, 204);
    const gone = await read();
    assert.equal(gone.status, 401);
    assert.match(((await gone.json()) as Body).errors[0]!.message, /^the account brief no longer exists: log in again$/);
  });

  test('1,000 wrong passwords from one address: refused with 429 after 10, before any hashing; the right password still works from elsewhere; the admin API counts too', async () => {
    const admin = basic('admin', ADMIN);
    assert.equal((await api('POST', '/users', admin, { Name: 'target', Password: 'Target12345' })).status, 201);
    /** GET /service/token as target from `localAddress` (any 127.x address is this machine's). */
    const tokenFrom = (localAddress: string, password: string): Promise<{ status: number; retryAfter?: string }> =>
      new Promise((resolve, reject) => {
        const u = new URL(url);
        get({ host: u.hostname, port: u.port, path: '/service/token?service=berth-registry', localAddress, headers: { Authorization: basic('target', password) } }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'] as string | undefined }));
        }).on('error', reject);
      });
    const started = Date.now();
    const statuses = new Map<number, number>();
    for (let i = 0; i < 1000; i++) {
      const { status } = await tokenFrom('127.0.0.1', `wrong-${i}`);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
    assert.deepEqual(Object.fromEntries(statuses), { 401: 10, 429: 990 });
    // 990 refusals without scrypt: a guesser cannot make the registry hash for it.
    assert.ok(Date.now() - started < 30_000);
    const blocked = await tokenFrom('127.0.0.1', 'Target12345');
    assert.equal(blocked.status, 429, 'the right password too, from the guessing address');
    assert.ok(Number(blocked.retryAfter) > 0);
    assert.equal((await tokenFrom('127.0.0.2', 'Target12345')).status, 200, 'the user is not locked out from elsewhere');
    const viaAdmin = await api('GET', '/users/target', basic('target', 'Target12345'));
    assert.equal(viaAdmin.status, 429);
    assert.match(viaAdmin.json.message, /^too many failed logins for target from 127\.0\.0\.1: try again in \d+ s$/);
  });

  test("a team granted a project role gives it to each member (the strongest of theirs wins); a disabled user's token stops at once", async () => {
    const admin = basic('admin', ADMIN);
    assert.equal((await api('POST', '/users', admin, { Name: 'carol', Password: 'Carol12345' })).status, 201);
    assert.equal((await api('POST', '/projects', admin, { Name: 'shop' })).status, 201);
    const carol = basic('carol', 'Carol12345');
    const none = [{ type: 'repository', name: 'shop/app', actions: [] }];
    assert.deepEqual(accessOf((await token(carol, 'repository:shop/app:pull,push')).body.token), none);
    const missing = await api('POST', '/projects/shop/members', admin, { Team: 'web', Role: 'developer' });
    assert.equal(missing.status, 404);
    assert.match(missing.json.message, /^Team: team web does not exist/);
    // Teams are made on the manager; this registry alone shares the store kind.
    registry.store.update((tx) => tx.teams.create({ ID: 'team-web', Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: { Name: 'web', Members: [{ User: 'carol', Role: 'viewer' }], Stacks: [] } }));
    assert.equal((await api('POST', '/projects/shop/members', admin, { Team: 'web', Role: 'developer' })).status, 201);
    assert.deepEqual(accessOf((await token(carol, 'repository:shop/app:pull,push,delete')).body.token), [{ type: 'repository', name: 'shop/app', actions: ['pull', 'push'] }]);
    assert.equal((await api('POST', '/projects/shop/members', admin, { User: 'carol', Role: 'guest' })).status, 201);
    assert.deepEqual(accessOf((await token(carol, 'repository:shop/app:pull,push')).body.token), [{ type: 'repository', name: 'shop/app', actions: ['pull', 'push'] }], 'the team role is stronger than her own');
    const members = (await api('GET', '/projects/shop/members', carol)).json as unknown as { User?: string }[];
    assert.deepEqual(members.filter((m) => m.User !== 'admin'), [{ User: 'carol', Role: 'guest' }, { Team: 'web', Role: 'developer' }]);
    assert.equal((await api('PUT', '/projects/shop/members/team:web', admin, { Role: 'maintainer' })).status, 200);
    assert.deepEqual(accessOf((await token(carol, 'repository:shop/app:delete')).body.token), [{ type: 'repository', name: 'shop/app', actions: ['delete'] }]);
    assert.equal((await api('DELETE', '/projects/shop/members/team:web', admin)).status, 204);
    assert.deepEqual(accessOf((await token(carol, 'repository:shop/app:push')).body.token), none);

    const issued = (await token(carol, 'repository:shop/app:pull')).body.token;
    registry.store.update((tx) => {
      const u = tx.users.byName('carol')!;
      tx.users.update({ ...u, Spec: { ...u.Spec, Disabled: true } });
    });
    const res = await fetch(`${url}/v2/shop/app/tags/list`, { headers: { Authorization: `Bearer ${issued}` } });
    assert.equal(res.status, 401);
    assert.equal((await token(carol, 'repository:shop/app:pull')).status, 401);
  });

  test("platform tokens and sessions (berth_...) act as their user with a password login's rights, capped by the token's role; a revoked one is 401", async () => {
    const admin = basic('admin', ADMIN);
    assert.equal((await api('POST', '/projects', admin, { Name: 'portal' })).status, 201);
    assert.equal((await api('POST', '/projects/portal/members', admin, { User: 'dev', Role: 'developer' })).status, 201);
    assert.equal((await api('POST', '/projects/portal/members', admin, { User: 'guest', Role: 'guest' })).status, 201);
    // One image in portal/app:1, pushed by admin through /v2.
    const push = (await token(admin, 'repository:portal/app:pull,push')).body.token;
    const config = '{"architecture":"amd64","os":"linux"}';
    assert.equal((await fetch(`${url}/v2/portal/app/blobs/uploads/?digest=${sha256(config)}`, { method: 'POST', body: config, headers: { Authorization: `Bearer ${push}` } })).status, 201);
    const manifest = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length }, layers: [] });
    assert.equal((await fetch(`${url}/v2/portal/app/manifests/1`, { method: 'PUT', body: manifest, headers: { Authorization: `Bearer ${push}`, 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' } })).status, 201);

    const issue = (user: string, kind: 'token' | 'session', role?: 'viewer' | 'operator' | 'admin'): string =>
      `Bearer ${registry.store.update((tx) => issueToken(tx, { User: user, Kind: kind, Name: `${user}-${kind}-${role ?? 'all'}`, ...(role && { Role: role }) })).secret}`;
    const seen: string[] = [];
    registry.events.onAdmin((a) => seen.push(`${a.actor} ${a.auth} ${a.method} ${a.status}`));
    const dev = issue('dev', 'session');
    const project = await api('GET', '/projects/portal', dev);
    assert.equal(project.status, 200);
    assert.equal((project.json as unknown as { CurrentUserRole: string }).CurrentUserRole, 'developer');
    const repositories = await api('GET', '/projects/portal/repositories', dev);
    assert.deepEqual((repositories.json as unknown as { Name: string }[]).map((r) => r.Name), ['portal/app']);
    const tag = `/projects/portal/repositories/${encodeURIComponent('portal/app')}/tags/1`;
    const refused = await api('DELETE', tag, dev);
    assert.equal(refused.status, 403);
    assert.match(refused.json.message, /^dev may not delete the repositories of project portal/);
    const quotas = ((await api('GET', '/quotas', dev)).json as unknown as { project: string }[]).map((q) => q.project);
    assert.ok(quotas.includes('portal') && !quotas.includes('library'), `the quotas of dev's projects only: ${quotas.join(', ')}`);
    assert.ok(((await api('GET', '/quotas', admin)).json as unknown as { project: string }[]).some((q) => q.project === 'library'));
    assert.equal(((await api('GET', '/systeminfo', dev)).json as unknown as { RegistryUrl: string }).RegistryUrl, registry.address);

    // Admin's own session is the system administrator; a token of a lesser role is not, and a viewer's reads only.
    assert.equal((await api('GET', '/gc', issue('admin', 'session'))).status, 200);
    const operator = issue('admin', 'token', 'operator');
    const gc = await api('GET', '/gc', operator);
    assert.equal(gc.status, 403);
    assert.match(gc.json.message, /^admin came with a token of the operator role, which is not a system administrator's/);
    const mine = await api('POST', '/projects', dev, { Name: 'devs' });
    assert.equal((mine.json as unknown as { CurrentUserRole: string }).CurrentUserRole, 'projectAdmin', 'any user creates a project, with a session too');
    assert.equal((await api('GET', '/projects/devs', operator)).status, 403, 'no longer every project: devs is not theirs');
    const viewer = issue('admin', 'token', 'viewer');
    assert.equal(((await api('GET', '/projects/portal', viewer)).json as unknown as { CurrentUserRole: string }).CurrentUserRole, 'guest');
    assert.equal((await api('DELETE', tag, viewer)).status, 403);
    assert.equal((await api('DELETE', tag, operator)).status, 204, 'as projectAdmin of portal, which admin created');
    assert.deepEqual(seen.slice(-1), ['admin platform-token DELETE 204'], 'the audit log names how they came');

    const revoked = issue('dev', 'token');
    registry.store.update((tx) => tx.apiTokens.delete(tx.apiTokens.byUser('dev').find((t) => t.Spec.Kind === 'token')!.ID));
    const gone = await api('GET', '/projects/portal', revoked);
    assert.equal(gone.status, 401);
    assert.match(gone.json.message, /^the token is not valid: it was revoked, expired or mistyped/);
    assert.equal((await api('GET', '/projects/portal', `${dev.slice(0, -1)}0`)).status, 401);
  });
});
