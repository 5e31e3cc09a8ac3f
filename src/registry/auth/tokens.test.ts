import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, generateKeyPair, type CryptoKey } from 'jose';
import { ISSUER, InvalidTokenError, SERVICE, TokenKeys, parseScopes } from './tokens.js';

const valid = (name: string): boolean => /^[a-z0-9/._-]+$/.test(name);

test('the signing key is made once, kept 0600, and tokens survive reopening it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-tokens-'));
  try {
    const keys = await TokenKeys.open(dir);
    assert.equal((await stat(join(dir, 'token-key.json'))).mode & 0o777, 0o600);
    const { token, expiresIn } = await keys.issue('alice', [{ type: 'repository', name: 'team/app', actions: ['pull', 'push'] }]);
    assert.ok(expiresIn >= 60, 'never less than the spec floor of 60 s');
    const again = await TokenKeys.open(dir);
    assert.deepEqual(await again.verify(token), { subject: 'alice', access: [{ type: 'repository', name: 'team/app', actions: ['pull', 'push'] }] });
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    for (const c of ['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti', 'access']) assert.ok(c in claims, c);
    assert.equal(claims.aud, SERVICE);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('expired, foreign-signed, wrong-audience and malformed tokens are refused with the reason', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-tokens-'));
  try {
    const keys = await TokenKeys.open(dir);
    const expired = await keys.issue('alice', [], 60, Date.now() - 3_600_000);
    await assert.rejects(keys.verify(expired.token), (e: Error) => e instanceof InvalidTokenError && /expired/.test(e.message));

    const other = await TokenKeys.open(await mkdtemp(join(dir, 'other-')));
    const foreign = await other.issue('alice', []);
    await assert.rejects(keys.verify(foreign.token), (e: Error) => e instanceof InvalidTokenError && /signature/.test(e.message));

    const { privateKey } = await generateKeyPair('ES256');
    const now = Math.floor(Date.now() / 1000);
    const wrongAud = await new SignJWT({ access: [] }).setProtectedHeader({ alg: 'ES256' }).setIssuer(ISSUER).setAudience('someone-else').setExpirationTime(now + 60).sign(privateKey);
    await assert.rejects(keys.verify(wrongAud), InvalidTokenError);

    // Audience checked on a token with our own signature too.
    const ours = keys as unknown as { privateKey: CryptoKey };
    const audience = await new SignJWT({ access: [] }).setProtectedHeader({ alg: 'ES256' }).setIssuer(ISSUER).setAudience('other-registry').setExpirationTime(now + 60).sign(ours.privateKey);
    await assert.rejects(keys.verify(audience), (e: Error) => e instanceof InvalidTokenError && /aud/.test(e.message));

    await assert.rejects(keys.verify('not.a.token'), (e: Error) => e instanceof InvalidTokenError && /malformed/.test(e.message));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('scopes: several per value, host:port names, * for all actions, unknown types and actions dropped', () => {
  assert.deepEqual(parseScopes(['repository:team/app:pull,push', 'repository:team/app:delete repository:lib/x:pull'], valid), [
    { repository: 'team/app', actions: ['pull', 'push', 'delete'] },
    { repository: 'lib/x', actions: ['pull'] },
  ]);
  assert.deepEqual(parseScopes(['repository:localhost:5000/a:pull'], valid), []);
  assert.deepEqual(parseScopes(['repository(plugin):p/q:*'], valid), [{ repository: 'p/q', actions: ['pull', 'push', 'delete'] }]);
  assert.deepEqual(parseScopes(['registry:catalog:*', 'repository:a:fly', 'garbage'], valid), [{ repository: 'a', actions: [] }]);
});
