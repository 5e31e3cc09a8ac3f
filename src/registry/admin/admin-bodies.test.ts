// The admin API's JSON bodies over real HTTP: a size limit named in the answer, with or without a
// declared length, and the depth limit the manager's API has.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_JSON_DEPTH } from '../../common/json-body.js';
import { openTestStore } from '../../../test/helpers/store.js';
import '../kinds.js';
import { userRoutes } from './admin-users.js';
import { startRegistry, type TestRegistry } from '../distribution/test-helpers.js';

describe('registry admin API bodies', () => {
  let reg: TestRegistry;
  const users = (): string => `${reg.url}/berth/v1/registry/users`;
  const post = (body: string | ReadableStream<Uint8Array>, length = true): Promise<Response> =>
    fetch(users(), { method: 'POST', headers: { 'content-type': 'application/json' }, body, ...(!length && { duplex: 'half' }) } as RequestInit);

  before(async () => {
    reg = await startRegistry({ store: await openTestStore(), adminRoutes: [userRoutes] });
  });
  after(async () => reg.close());

  test('a body over 1 MiB is a 413 naming the limit, declared or streamed', async () => {
    const big = JSON.stringify({ Name: 'x', Password: 'p'.repeat(2 * 1024 * 1024) });
    const streamed = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 32; i++) controller.enqueue(new TextEncoder().encode('x'.repeat(64 * 1024)));
        controller.close();
      },
    });
    for (const res of [await post(big), await post(streamed, false)]) {
      assert.equal(res.status, 413);
      assert.deepEqual(await res.json(), { message: 'request body is too large: the admin API takes at most 1 MiB' });
    }
    // The connection is usable afterwards, and a body within the limit goes through.
    const ok = await post(JSON.stringify({ Name: 'alice', Password: 'Alice12345' }));
    assert.equal(ok.status, 201, await ok.text());
  });

  test('a body nested deeper than the API allows is a 400 saying so', async () => {
    const nested = '{"a":'.repeat(MAX_JSON_DEPTH + 1) + '1' + '}'.repeat(MAX_JSON_DEPTH + 1);
    const res = await post(`{"Name":${nested},"Password":"Alice12345"}`);
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), { message: `request body is nested too deeply: JSON objects and arrays may nest at most ${MAX_JSON_DEPTH} levels` });
  });
});
