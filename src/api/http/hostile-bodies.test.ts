// Malformed-but-parseable bodies against every handler that decodes one: each must be refused
// with a 4xx and a {"message"} body, and nothing may be written. A 500 here is a bug.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_JSON_DEPTH } from '../../common/json-body.js';
import { SPEC_BODY_LIMIT } from './http.js';
import { call, createService, seedNode, spec, testApi, type Reply } from '../test-helpers.js';

const LONG = 'x'.repeat(1_000_000);
const nested = (depth: number, inner = '1'): string => '{"a":'.repeat(depth) + inner + '}'.repeat(depth);
const image = { ContainerSpec: { Image: 'busybox' } };

/** Bodies no handler may accept, as raw JSON text. */
const HOSTILE_ANY: string[] = [
  'null',
  '[]',
  '"x"',
  '1',
  'true',
  '{',
  JSON.stringify({ Labels: { a: 1 } }),
  JSON.stringify({ Labels: ['a=b'] }),
  `{"Labels":${nested(MAX_JSON_DEPTH)}}`,
  `[${nested(200_000)}]`,
  '['.repeat(1_000_000) + ']'.repeat(1_000_000),
  JSON.stringify({ Labels: { [LONG]: 1 } }),
  'x'.repeat(SPEC_BODY_LIMIT + 1),
];

/** Bodies that are not a creatable ServiceSpec. */
const HOSTILE_SERVICE: string[] = [
  ...HOSTILE_ANY,
  JSON.stringify({ TaskTemplate: null }),
  JSON.stringify({ TaskTemplate: { ContainerSpec: [] } }),
  JSON.stringify({ TaskTemplate: { ContainerSpec: { Image: 5 } } }),
  JSON.stringify({ Mode: { Replicated: null } }),
  JSON.stringify({ TaskTemplate: image, Mode: { Replicated: 3 } }),
  JSON.stringify({ TaskTemplate: image, Mode: { Global: {}, Replicated: {} } }),
  JSON.stringify({ TaskTemplate: image, EndpointSpec: { Ports: [null] } }),
  JSON.stringify({ TaskTemplate: image, EndpointSpec: { Ports: [{}] } }),
  JSON.stringify({ TaskTemplate: image, EndpointSpec: { Ports: {} } }),
  JSON.stringify({ TaskTemplate: { ...image, Placement: { Constraints: [1] } } }),
  JSON.stringify({ TaskTemplate: { ...image, Placement: { Constraints: 'node.role==manager' } } }),
  JSON.stringify({ TaskTemplate: { ContainerSpec: { Image: 'busybox', Mounts: [{}] } } }),
  JSON.stringify({ TaskTemplate: { ContainerSpec: { Image: 'busybox', Mounts: [null] } } }),
  JSON.stringify({ TaskTemplate: { ContainerSpec: { Image: 'busybox', Env: [{}] } } }),
  JSON.stringify({ TaskTemplate: image, Labels: { a: 1 } }),
  JSON.stringify({ TaskTemplate: image, Name: '\ud800' }),
  JSON.stringify({ TaskTemplate: image, Name: LONG }),
  JSON.stringify({ TaskTemplate: { ...image, Placement: { Constraints: [LONG] } } }),
  JSON.stringify({ TaskTemplate: { ContainerSpec: { Image: LONG } }, Mode: { Replicated: { Replicas: LONG } } }),
  `{"TaskTemplate":{"ContainerSpec":{"Image":"busybox"}},"Mode":{"Replicated":{"Replicas":1e300}}}`,
  `{"TaskTemplate":{"ContainerSpec":{"Image":"busybox"}},"Mode":{"Replicated":{"Replicas":1e400}}}`,
  `{"TaskTemplate":{"ContainerSpec":{"Image":"busybox"},"RestartPolicy":{"Delay":1e300}}}`,
  `{"TaskTemplate":{"ContainerSpec":{"Image":"busybox"}},"UpdateConfig":{"Parallelism":12345678901234567890}}`,
  // A __proto__ key is dropped, never followed: the image it carries does not count.
  '{"__proto__":{"TaskTemplate":{"ContainerSpec":{"Image":"busybox"}}}}',
  '{"TaskTemplate":{"__proto__":{"ContainerSpec":{"Image":"busybox"}}}}',
  '{"constructor":{"prototype":{"polluted":1}},"__proto__":{"polluted":1}}',
  // Valid but for its depth: stored, it would overflow whatever walks it later.
  `{"TaskTemplate":{"ContainerSpec":{"Image":"busybox"},"PluginSpec":${nested(MAX_JSON_DEPTH)}}}`,
];

/** Bodies that are not a NodeSpec (unknown fields are ignored, so these break known ones). */
const HOSTILE_NODE: string[] = [
  ...HOSTILE_ANY,
  JSON.stringify({ Labels: 'a=b' }),
  JSON.stringify({ Role: 1 }),
  JSON.stringify({ Role: LONG }),
  JSON.stringify({ Availability: ['drain'] }),
  JSON.stringify({ Availability: 'drain', Name: {} }),
  JSON.stringify({ Role: null, Availability: 'sleep' }),
  '{"__proto__":{"polluted":1},"Labels":{"a":{}}}',
];

/** Bodies that are not a creatable SecretSpec or ConfigSpec. */
const HOSTILE_DATA_OBJECT: string[] = [
  ...HOSTILE_ANY,
  JSON.stringify({ Name: 'x' }),
  JSON.stringify({ Name: 'x', Data: 5 }),
  JSON.stringify({ Name: 'x', Data: ['aGk='] }),
  JSON.stringify({ Name: 'x', Data: '%%%%' }),
  JSON.stringify({ Name: LONG, Data: 'aGk=' }),
  JSON.stringify({ Name: 'x', Data: 'x'.repeat(1_400_000) }),
  JSON.stringify({ Name: 'x', Data: 'aGk=', Templating: 'golang' }),
  JSON.stringify({ Name: 'x', Data: 'aGk=', Templating: { Name: 5 } }),
  JSON.stringify({ Name: '\ud800', Data: 'aGk=' }),
  '{"__proto__":{"Name":"x","Data":"aGk="}}',
];

function assertRefused(res: Reply, body: string): void {
  const what = `${body.slice(0, 80)}${body.length > 80 ? '...' : ''} -> ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`;
  assert.ok(res.status >= 400 && res.status < 500, what);
  assert.match(String(res.headers['content-type']), /^application\/json/, what);
  assert.deepEqual(Object.keys(res.body as object), ['message'], what);
  const message = (res.body as { message: unknown }).message;
  assert.ok(typeof message === 'string' && message.length > 0, what);
  assert.equal((Object.prototype as Record<string, unknown>).polluted, undefined, `prototype polluted by ${what}`);
}

test('service create refuses every hostile body with a 4xx {message}; nothing is stored', async () => {
  const api = await testApi();
  for (const body of HOSTILE_SERVICE) assertRefused(await call(api.app, 'POST', '/v1.41/services/create', body), body);
  assert.equal(api.store.view((tx) => tx.services.count()), 0);
  await api.close();
});

test('service update refuses every hostile body with a 4xx {message}; the service is untouched', async () => {
  const api = await testApi();
  const svc = await createService(api, spec('web'));
  for (const body of HOSTILE_SERVICE) {
    assertRefused(await call(api.app, 'POST', `/v1.41/services/web/update?version=${svc.Version.Index}`, body), body);
  }
  assert.deepEqual(api.store.view((tx) => tx.services.list()), [svc]);
  await api.close();
});

test('node update refuses every hostile body with a 4xx {message}; the node is untouched', async () => {
  const api = await testApi();
  const node = seedNode(api.store, { hostname: 'worker-1', labels: { zone: 'eu' } });
  for (const body of HOSTILE_NODE) {
    assertRefused(await call(api.app, 'POST', `/v1.41/nodes/${node.ID}/update?version=${node.Version.Index}`, body), body);
  }
  assert.deepEqual(api.store.view((tx) => tx.nodes.list()), [node]);

  // Dropped, not followed: the availability under __proto__ is not applied, however it is spelled.
  for (const key of ['__proto__', '\\u005f_proto__', '__pr\\u006fto__', '\\u005F\\u005Fproto\\u005f\\u005f']) {
    const current = api.store.view((tx) => tx.nodes.get(node.ID)!);
    const body = `{"${key}":{"Availability":"drain"},"Labels":{"k":"v"}}`;
    const proto = await call(api.app, 'POST', `/v1.41/nodes/${node.ID}/update?version=${current.Version.Index}`, body);
    assert.equal(proto.status, 200, body);
    assert.deepEqual(api.store.view((tx) => tx.nodes.get(node.ID)!.Spec), { Labels: { k: 'v' }, Role: 'worker', Availability: 'active' }, body);
  }
  await api.close();
});

test('the messages name the field and its limit; nesting is checked outside strings only', async () => {
  const api = await testApi();
  const create = (body: string) => call(api.app, 'POST', '/v1.41/services/create', body);
  const svc = '{"TaskTemplate":{"ContainerSpec":{"Image":"busybox"}}';
  assert.deepEqual((await create(`${svc},"Mode":{"Replicated":{"Replicas":1e300}}}`)).body, {
    message: 'invalid ServiceSpec: Mode.Replicated.Replicas must be at most 100000 (got 1e+300)',
  });
  assert.deepEqual((await create(`${svc},"Mode":{"Replicated":{"Replicas":1e400}}}`)).body, {
    message: 'invalid ServiceSpec: Mode.Replicated.Replicas must be an integer between 0 and 100000 (got Infinity)',
  });
  assert.deepEqual((await create(`${svc},"RollbackConfig":{"Monitor":1e300}}`)).body, {
    message: `invalid ServiceSpec: RollbackConfig.Monitor must be at most ${Number.MAX_SAFE_INTEGER} nanoseconds (got 1e+300)`,
  });
  assert.deepEqual((await create(`{"Labels":${nested(MAX_JSON_DEPTH)}}`)).body, {
    message: `request body is nested too deeply: JSON objects and arrays may nest at most ${MAX_JSON_DEPTH} levels`,
  });
  // Brackets and escaped quotes inside strings are not nesting.
  const brackets = JSON.stringify({ ...spec('brackets'), Labels: { a: '[{'.repeat(1000), 'b"[': '\\"{{{' } });
  assert.equal((await create(brackets)).status, 201);
  // The deepest body allowed goes through.
  const deep = await create(`{"TaskTemplate":{"ContainerSpec":{"Image":"busybox"},"PluginSpec":${nested(MAX_JSON_DEPTH - 2)}}}`);
  assert.equal(deep.status, 201, JSON.stringify(deep.body));
  await api.close();
});

test('checks of body fields take linear time: names, aliases and constraints built to make a regex backtrack', async () => {
  // Before: exponential in the name's length (30 letters took seconds, these would take years),
  // quadratic in a constraint's (minutes for this one).
  const api = await testApi();
  const name = 'a'.repeat(60) + '!';
  const cases: Array<[string, string, unknown, RegExp]> = [
    ['POST', '/v1.41/services/create', { ...spec('x'), Name: name }, /^invalid name "a+!": only/],
    ['POST', '/v1.41/networks/create', { Name: name, Driver: 'overlay' }, /a+!/],
    ['POST', '/v1.41/services/create', { ...spec('x'), TaskTemplate: { ...image, Networks: [{ Target: 'n', Aliases: [name] }] } }, /Aliases: "a+!" is not a valid DNS name/],
    ['POST', '/v1.41/services/create', { ...spec('x'), TaskTemplate: { ...image, Placement: { Constraints: ['=='.repeat(400_000) + '\n'] } } }, /^invalid constraint "====/],
  ];
  for (const [method, url, body, message] of cases) {
    const res = await call(api.app, method, url, body);
    assert.equal(res.status, 400, `${url}: ${JSON.stringify(res.body).slice(0, 200)}`);
    assert.match(res.body.message, message);
  }
  await api.close();
});

test('secret and config create and update refuse every hostile body with a 4xx {message}; nothing changes', async () => {
  const api = await testApi();
  for (const kind of ['secrets', 'configs']) {
    for (const body of HOSTILE_DATA_OBJECT) assertRefused(await call(api.app, 'POST', `/v1.41/${kind}/create`, body), body);
    const created = await call(api.app, 'POST', `/v1.41/${kind}/create`, { Name: 'keep', Labels: { a: 'b' }, Data: 'aGk=' });
    assert.equal(created.status, 201);
    const before = api.store.view((tx) => (kind === 'secrets' ? tx.secrets : tx.configs).list());
    for (const body of HOSTILE_DATA_OBJECT) {
      assertRefused(await call(api.app, 'POST', `/v1.41/${kind}/keep/update?version=${before[0]!.Version.Index}`, body), body);
    }
    assert.deepEqual(api.store.view((tx) => (kind === 'secrets' ? tx.secrets : tx.configs).list()), before);
  }
  await api.close();
});
