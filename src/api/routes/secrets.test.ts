import { test } from 'node:test';
import assert from 'node:assert/strict';
import { call, createService, filters, spec, testApi, type TestApi } from '../test-helpers.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const SECRET_VALUE = 's3cr3t-value-never-shown';

async function createSecret(api: TestApi, name: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await call(api.app, 'POST', '/v1.41/secrets/create', { Name: name, Labels: {}, Data: b64(SECRET_VALUE), ...extra });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.ID;
}

async function createConfig(api: TestApi, name: string, data = 'listen 80\n', extra: Record<string, unknown> = {}): Promise<string> {
  const res = await call(api.app, 'POST', '/v1.41/configs/create', { Name: name, Data: b64(data), ...extra });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.ID;
}

test('secret create answers 201 {ID}; no endpoint ever returns the data', async () => {
  const api = await testApi();
  const res = await call(api.app, 'POST', '/v1.41/secrets/create', { Name: 'db_password', Labels: { env: 'prod' }, Data: b64(SECRET_VALUE) });
  assert.equal(res.status, 201);
  assert.deepEqual(Object.keys(res.body), ['ID']);
  const stored = api.store.view((tx) => tx.secrets.get(res.body.ID)!);
  assert.equal(Buffer.from(stored.Spec.Data!, 'base64').toString(), SECRET_VALUE, 'the data is kept for the agents');

  const shown = [
    await call(api.app, 'GET', '/v1.41/secrets'),
    await call(api.app, 'GET', `/v1.41/secrets/${res.body.ID}`),
    await call(api.app, 'GET', '/v1.41/secrets/db_password'),
    await call(api.app, 'GET', `/secrets?filters=${filters({ name: ['db'] })}`),
  ];
  for (const r of shown) {
    assert.equal(r.status, 200);
    const text = JSON.stringify(r.body);
    assert.ok(!text.includes(b64(SECRET_VALUE)) && !text.includes('"Data"'), `no data in ${text}`);
  }
  const inspected = shown[1]!.body;
  assert.equal(inspected.ID, res.body.ID);
  assert.deepEqual(inspected.Spec, { Name: 'db_password', Labels: { env: 'prod' } });
  assert.equal(inspected.Version.Index, stored.Version.Index);
  assert.ok(inspected.CreatedAt && inspected.UpdatedAt);
  await api.close();
});

test('secret create: Swarm’s name, data and conflict rules, with messages that never echo the data', async () => {
  const api = await testApi();
  await createSecret(api, 'a.b-c_d');
  const post = (body: unknown) => call(api.app, 'POST', '/v1.41/secrets/create', body);
  const dup = await post({ Name: 'a.b-c_d', Data: b64('x') });
  assert.equal(dup.status, 409);
  assert.equal(dup.body.message, 'secret a.b-c_d already exists');
  const cases: [unknown, number, string | RegExp][] = [
    [{ Data: b64('x') }, 400, /^invalid SecretSpec: name must be provided/],
    [{ Name: '-bad', Data: b64('x') }, 400, 'invalid name "-bad": only 64 [a-zA-Z0-9-_.] characters allowed, and the start and end character must be [a-zA-Z0-9]'],
    [{ Name: 'x'.repeat(65), Data: b64('x') }, 400, /only 64 \[a-zA-Z0-9-_.\] characters allowed/],
    [{ Name: 'nodata' }, 400, 'secret data must be larger than 0 and less than 512000 bytes'],
    [{ Name: 'empty', Data: '' }, 400, 'secret data must be larger than 0 and less than 512000 bytes'],
    [{ Name: 'big', Data: Buffer.alloc(512000, 1).toString('base64') }, 400, 'secret data must be larger than 0 and less than 512000 bytes'],
    [{ Name: 'notb64', Data: 'hello world!' }, 400, /^invalid SecretSpec: Data must be base64-encoded/],
    [{ Name: 'drv', Driver: { Name: 'vault' } }, 400, /^invalid SecretSpec: secret drivers are not supported \(Driver "vault"\).*leave out Driver/],
    [{ Name: 'tpl', Data: b64('x'), Templating: { Name: 'jinja' } }, 400, /unsupported template driver "jinja": Templating.Name must be "golang"/],
    [{ Name: 'lbl', Data: b64('x'), Labels: { a: 1 } }, 400, 'invalid SecretSpec: Labels.a must be a string (got 1)'],
  ];
  for (const [body, status, message] of cases) {
    const res = await post(body);
    assert.equal(res.status, status, JSON.stringify(body).slice(0, 80));
    if (typeof message === 'string') assert.equal(res.body.message, message);
    else assert.match(res.body.message, message);
  }
  // The largest payload Swarm allows, and the golang template driver, are accepted.
  assert.equal((await post({ Name: 'max', Data: Buffer.alloc(511999, 1).toString('base64') })).status, 201);
  assert.equal((await post({ Name: 'tmpl', Data: b64('{{.Task.Slot}}'), Templating: { Name: 'golang' } })).status, 201);
  // Line breaks inside base64 are skipped, as Go's decoder does.
  assert.equal((await post({ Name: 'wrapped', Data: 'aGVs\nbG8=' })).status, 201);
  assert.equal(api.store.view((tx) => tx.secrets.byName('wrapped')!.Spec.Data), 'aGVsbG8=');
  assert.equal(api.store.view((tx) => tx.secrets.count()), 4);
  await api.close();
});

test('secret list filters: names exact, name and id prefixes as alternatives, labels all', async () => {
  const api = await testApi();
  const web = await createSecret(api, 'web_cert', { Labels: { app: 'web', tier: 'front' } });
  const webKey = await createSecret(api, 'web_key', { Labels: { app: 'web' } });
  const db = await createSecret(api, 'db_password', { Labels: { app: 'db' } });
  const list = async (f: Record<string, string[]>) => {
    const res = await call(api.app, 'GET', `/v1.41/secrets?filters=${filters(f)}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return (res.body as { ID: string }[]).map((s) => s.ID).sort();
  };
  assert.deepEqual(await list({}), [web, webKey, db].sort());
  assert.deepEqual(await list({ name: ['web'] }), [web, webKey].sort());
  assert.deepEqual(await list({ names: ['web'] }), [], 'names matches whole names only');
  assert.deepEqual(await list({ names: ['web_key'] }), [webKey]);
  assert.deepEqual(await list({ names: ['web_key'], name: ['db'] }), [webKey, db].sort(), 'names, name and id are alternatives');
  assert.deepEqual(await list({ id: [db.slice(0, 6)] }), [db]);
  assert.deepEqual(await list({ label: ['app=web'] }), [web, webKey].sort());
  assert.deepEqual(await list({ label: ['app=web', 'tier'] }), [web]);
  assert.deepEqual(await list({ name: ['web'], label: ['tier=front'] }), [web]);
  const bad = await call(api.app, 'GET', `/v1.41/secrets?filters=${filters({ driver: ['x'] })}`);
  assert.equal(bad.status, 400);
  assert.equal(bad.body.message, "invalid filter 'driver'");
  const cfgNames = await call(api.app, 'GET', `/v1.41/configs?filters=${filters({ names: ['x'] })}`);
  assert.equal(cfgNames.status, 400, 'configs accept id, label and name only, as the Engine does');
  await api.close();
});

test('secret inspect and remove by ID, name or unique ID prefix; 404 and ambiguity', async () => {
  const api = await testApi();
  const id = await createSecret(api, 'one');
  assert.equal((await call(api.app, 'GET', `/v1.41/secrets/${id.slice(0, 5)}`)).body.ID, id);
  const missing = await call(api.app, 'GET', '/v1.41/secrets/nope');
  assert.equal(missing.status, 404);
  assert.equal(missing.body.message, 'secret nope not found');
  api.store.update((tx) => {
    for (const n of ['1', '2']) tx.secrets.create({ ID: `zzz${n}${'a'.repeat(21)}`, Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: { Name: `z${n}`, Data: b64('x') } });
  });
  const ambiguous = await call(api.app, 'GET', '/v1.41/secrets/zzz');
  assert.equal(ambiguous.status, 400);
  assert.equal(ambiguous.body.message, 'secret zzz is ambiguous (2 matches found)');
  const del = await call(api.app, 'DELETE', '/v1.41/secrets/one');
  assert.equal(del.status, 204);
  assert.equal(api.store.view((tx) => tx.secrets.get(id)), undefined);
  assert.equal((await call(api.app, 'DELETE', '/v1.41/secrets/one')).status, 404);
  await api.close();
});

test('secret update: only labels may change, at the current version', async () => {
  const api = await testApi();
  const id = await createSecret(api, 'cert', { Labels: { a: '1' } });
  const version = () => api.store.view((tx) => tx.secrets.get(id)!.Version.Index);
  const update = (body: unknown, v: number | string = version()) => call(api.app, 'POST', `/v1.41/secrets/${id}/update?version=${v}`, body);

  const labels = await update({ Name: 'cert', Labels: { a: '2', b: 'x' } });
  assert.equal(labels.status, 200, JSON.stringify(labels.body));
  const stored = api.store.view((tx) => tx.secrets.get(id)!);
  assert.deepEqual(stored.Spec.Labels, { a: '2', b: 'x' });
  assert.equal(Buffer.from(stored.Spec.Data!, 'base64').toString(), SECRET_VALUE, 'the data is kept');
  // docker stack deploy sends the whole spec again, data included: unchanged data is fine.
  assert.equal((await update({ Name: 'cert', Labels: { c: '3' }, Data: b64(SECRET_VALUE) })).status, 200);

  const refused = [
    await update({ Name: 'cert', Data: b64('other') }),
    await update({ Name: 'renamed' }),
    await update({ Name: 'cert', Templating: { Name: 'golang' } }),
  ];
  for (const r of refused) {
    assert.equal(r.status, 400);
    assert.match(r.body.message, /^only updates to Labels are allowed: .*docker service update --secret-rm OLD --secret-add NEW/);
  }
  const stale = await update({ Name: 'cert' }, 1);
  assert.equal(stale.status, 409);
  assert.match(stale.body.message, /^update out of sequence: secret /);
  const noVersion = await call(api.app, 'POST', `/v1.41/secrets/${id}/update`, { Name: 'cert' });
  assert.equal(noVersion.status, 400);
  assert.match(noVersion.body.message, /missing version/);
  assert.deepEqual(api.store.view((tx) => tx.secrets.get(id)!.Spec.Labels), { c: '3' });
  await api.close();
});

test('configs: data is shown, 1000 KB limit, labels-only updates, templating', async () => {
  const api = await testApi();
  const id = await createConfig(api, 'nginx.conf', 'worker_processes 1;\n', { Labels: { app: 'web' } });
  const shown = await call(api.app, 'GET', `/v1.41/configs/nginx.conf`);
  assert.equal(shown.status, 200);
  assert.deepEqual(shown.body.Spec, { Name: 'nginx.conf', Labels: { app: 'web' }, Data: b64('worker_processes 1;\n') });
  assert.equal((await call(api.app, 'GET', '/v1.41/configs')).body[0].Spec.Data, b64('worker_processes 1;\n'));

  const big = await call(api.app, 'POST', '/v1.41/configs/create', { Name: 'big', Data: Buffer.alloc(1000 * 1024).toString('base64') });
  assert.equal(big.status, 400);
  assert.equal(big.body.message, 'config data must be larger than 0 and less than 1024000 bytes');
  // A config may be larger than any secret may.
  assert.equal((await call(api.app, 'POST', '/v1.41/configs/create', { Name: 'large', Data: Buffer.alloc(600 * 1024).toString('base64') })).status, 201);
  const dup = await call(api.app, 'POST', '/v1.41/configs/create', { Name: 'nginx.conf', Data: b64('x') });
  assert.equal(dup.status, 409);
  assert.equal(dup.body.message, 'config nginx.conf already exists');
  const tpl = await call(api.app, 'POST', '/v1.41/configs/create', { Name: 't', Data: b64('x'), Templating: { Name: 'handlebars' } });
  assert.equal(tpl.status, 400);
  assert.match(tpl.body.message, /^invalid ConfigSpec: unsupported template driver "handlebars"/);

  const v = api.store.view((tx) => tx.configs.get(id)!.Version.Index);
  const changed = await call(api.app, 'POST', `/v1.41/configs/${id}/update?version=${v}`, { Name: 'nginx.conf', Data: b64('worker_processes 2;\n') });
  assert.equal(changed.status, 400);
  assert.match(changed.body.message, /^only updates to Labels are allowed: .*--config-rm OLD --config-add NEW/);
  assert.equal((await call(api.app, 'POST', `/v1.41/configs/${id}/update?version=${v}`, { Name: 'nginx.conf', Labels: {} })).status, 200);
  const stale = await call(api.app, 'POST', `/v1.41/configs/${id}/update?version=${v}`, { Name: 'nginx.conf', Labels: { x: 'y' } });
  assert.equal(stale.status, 409);
  assert.match(stale.body.message, /^update out of sequence: config /);
  assert.equal((await call(api.app, 'DELETE', `/v1.41/configs/${id}`)).status, 204);
  await api.close();
});

test('service references: resolved, normalised with Swarm’s defaults, and in-use objects cannot be removed', async () => {
  const api = await testApi();
  const sid = await createSecret(api, 'db_password');
  const cid = await createConfig(api, 'app.conf');
  const svc = await createService(api, {
    ...spec('api'),
    TaskTemplate: {
      ContainerSpec: {
        Image: 'busybox',
        // As the docker CLI sends them: ID and name, full file target.
        Secrets: [{ SecretID: sid, SecretName: 'db_password', File: { Name: 'db', UID: '1000', GID: '1000', Mode: 0o400 } }],
        // A name alone is resolved; the target defaults to the name (/app.conf), uid/gid 0, mode 0444.
        Configs: [{ ConfigName: 'app.conf' }],
      },
    },
  });
  const c = svc.Spec.TaskTemplate!.ContainerSpec!;
  assert.deepEqual(c.Secrets, [{ SecretID: sid, SecretName: 'db_password', File: { Name: 'db', UID: '1000', GID: '1000', Mode: 0o400 } }]);
  assert.deepEqual(c.Configs, [{ ConfigID: cid, ConfigName: 'app.conf', File: { Name: 'app.conf', UID: '0', GID: '0', Mode: 0o444 } }]);
  await createService(api, { ...spec('worker'), TaskTemplate: { ContainerSpec: { Image: 'busybox', Secrets: [{ SecretID: sid, SecretName: 'db_password' }] } } });

  const inUse = await call(api.app, 'DELETE', '/v1.41/secrets/db_password');
  assert.equal(inUse.status, 400);
  assert.equal(
    inUse.body.message,
    "secret 'db_password' is in use by the following services: api, worker: remove it from those services first (docker service update --secret-rm db_password SERVICE)",
  );
  const cfgInUse = await call(api.app, 'DELETE', `/v1.41/configs/${cid}`);
  assert.equal(cfgInUse.status, 400);
  assert.match(cfgInUse.body.message, /^config 'app.conf' is in use by the following service: api: /);

  // Once no service references it, it can go; a rollback to a spec that names it is then refused.
  await call(api.app, 'DELETE', '/v1.41/services/worker');
  const noSecret = { ...svc.Spec, TaskTemplate: { ContainerSpec: { ...c, Secrets: [] } } };
  const upd = await call(api.app, 'POST', `/v1.41/services/api/update?version=${svc.Version.Index}`, noSecret);
  assert.equal(upd.status, 200, JSON.stringify(upd.body));
  assert.equal((await call(api.app, 'DELETE', '/v1.41/secrets/db_password')).status, 204);
  const v = api.store.view((tx) => tx.services.byName('api')!.Version.Index);
  const rollback = await call(api.app, 'POST', `/v1.41/services/api/update?version=${v}&rollback=previous`, noSecret);
  assert.equal(rollback.status, 400);
  assert.match(rollback.body.message, /^secret not found: db_password/);
  await api.close();
});

test('service references: missing objects, mismatched names, conflicting targets and bad files are 4xx naming the field', async () => {
  const api = await testApi();
  const sid = await createSecret(api, 's1');
  await createSecret(api, 's2');
  await createConfig(api, 'c1');
  const create = (secrets: unknown[], configs: unknown[] = []) =>
    call(api.app, 'POST', '/v1.41/services/create', {
      ...spec('svc'),
      TaskTemplate: { ContainerSpec: { Image: 'busybox', Secrets: secrets, Configs: configs, Mounts: [{ Type: 'volume', Source: 'v', Target: '/data/' }] } },
    });
  const cases: [unknown[], unknown[], number, string | RegExp][] = [
    [[{ SecretID: 'nosuchid', SecretName: 'ghost' }], [], 400, 'secret not found: ghost: create it first with docker secret create (TaskTemplate.ContainerSpec.Secrets[0])'],
    [[{ SecretName: 'ghost' }], [], 400, /^secret not found: ghost/],
    [[], [{ ConfigName: 'ghost' }], 400, /^config not found: ghost: create it first with docker config create/],
    [[{}], [], 400, /Secrets\[0\] names no secret: give SecretID and SecretName/],
    [[{ SecretID: sid, SecretName: 's2' }], [], 400, /Secrets\[0\]\.SecretName "s2" does not match SecretID \w+, which is secret "s1"/],
    [[{ SecretName: 's1', File: { Name: 't' } }, { SecretName: 's2', File: { Name: 't' } }], [], 400, "secret references 's1' and 's2' have a conflicting target: '/run/secrets/t': give each its own target (TaskTemplate.ContainerSpec.Secrets[1].File.Name)"],
    [[{ SecretName: 's1', File: { Name: 'x' } }, { SecretName: 's2', File: { Name: '/run/secrets/x' } }], [], 400, /have a conflicting target: '\/run\/secrets\/x'/],
    [[{ SecretName: 's1', File: { Name: '/etc/c1' } }], [{ ConfigName: 'c1', File: { Name: '/etc/c1' } }], 400, /^secret 's1' and config 'c1' have a conflicting target: '\/etc\/c1'/],
    [[{ SecretName: 's1', File: { Name: '../etc/shadow' } }], [], 400, /Secrets\[0\]\.File\.Name "\.\.\/etc\/shadow" may not contain "\.\."/],
    [[], [{ ConfigName: 'c1', File: { Name: '/etc/../x' } }], 400, /Configs\[0\]\.File\.Name "\/etc\/\.\.\/x" may not contain "\.\."/],
    [[{ SecretName: 's1', File: { Name: 'dir/' } }], [], 400, /File\.Name "dir\/" is not a file name/],
    [[{ SecretName: 's1', File: { Name: 't', UID: 'nobody' } }], [], 400, /Secrets\[0\]\.File\.UID must be a numeric user ID, such as 1000 \(got "nobody"\)/],
    [[{ SecretName: 's1', File: { Name: 't', GID: '-1' } }], [], 400, /File\.GID must be a numeric group ID/],
    [[{ SecretName: 's1', File: { Name: 't', Mode: 0o4755 } }], [], 400, /File\.Mode 2541 \(04755\) is not a file mode/],
    [[{ SecretName: 's1', File: { Name: '/data' } }], [], 400, "invalid ServiceSpec: TaskTemplate.ContainerSpec.Secrets[0] targets '/data', where TaskTemplate.ContainerSpec.Mounts[0] is mounted: give the secret another target (TaskTemplate.ContainerSpec.Secrets[0].File.Name)"],
    [[], [{ ConfigName: 'c1', Runtime: {} }], 501, /Configs\[0\] has a Runtime target, which only Windows credential specs use/],
  ];
  for (const [secrets, configs, status, message] of cases) {
    const res = await create(secrets, configs);
    assert.equal(res.status, status, `${JSON.stringify([secrets, configs])}: ${JSON.stringify(res.body)}`);
    if (typeof message === 'string') assert.equal(res.body.message, message);
    else assert.match(res.body.message, message);
  }
  assert.equal(api.store.view((tx) => tx.services.count()), 0, 'nothing was stored');
  // A secret and a config may share a file name when their paths differ (/run/secrets/c1 vs /c1).
  const ok = await create([{ SecretName: 's1', File: { Name: 'c1' } }], [{ ConfigName: 'c1' }]);
  assert.equal(ok.status, 201, JSON.stringify(ok.body));
  await api.close();
});
