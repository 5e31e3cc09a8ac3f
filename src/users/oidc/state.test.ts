import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { InvalidArgumentError } from '../../types/index.js';
import { LOGIN_MS, loginNonce, openHandle, pkceVerifier, sealHandle, signState, verifyState } from './state.js';

const key = randomBytes(32).toString('hex');
const other = randomBytes(32).toString('hex');
const REDIRECT = 'https://manager.example:2376/berth/v1/oidc/callback';

test('a signed state reads back with its login; the verifier and nonce follow from the key and the login', () => {
  const { state, login } = signState(key, REDIRECT);
  assert.deepEqual(verifyState(key, state), login);
  assert.equal(login.redirectUri, REDIRECT);
  assert.match(pkceVerifier(key, login), /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(pkceVerifier(key, login), loginNonce(key, login));
  assert.notEqual(pkceVerifier(key, login), pkceVerifier(other, login));
  // Nothing in the state gives the verifier away.
  assert.ok(!Buffer.from(state.split('.')[0]!, 'base64url').toString().includes(pkceVerifier(key, login)));
});

test('a state signed with another key, altered, expired or malformed is a 400', () => {
  const { state } = signState(key, REDIRECT);
  const [payload, sig] = state.split('.') as [string, string];
  const altered = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), r: 'https://evil.example/cb' })).toString('base64url');
  for (const bad of [signState(other, REDIRECT).state, `${altered}.${sig}`, `${payload}.`, `${payload}.${sig}.x`, '', 'x'.repeat(5000), 42, undefined]) {
    assert.throws(() => verifyState(key, bad), InvalidArgumentError, String(bad).slice(0, 40));
  }
  assert.throws(() => verifyState(key, state, Date.now() + LOGIN_MS + 1), /longer than 10 minutes/);
});

test('a device handle seals its code: only this key opens it, until it expires', () => {
  const expires = Date.now() + 60_000;
  const handle = sealHandle(key, 'device-code-123', expires);
  assert.ok(!Buffer.from(handle, 'base64url').toString('latin1').includes('device-code-123'));
  assert.equal(openHandle(key, handle), 'device-code-123');
  assert.throws(() => openHandle(other, handle), /not a device login of this cluster/);
  assert.throws(() => openHandle(key, `${handle.slice(0, -4)}AAAA`), /not a device login/);
  assert.throws(() => openHandle(key, handle, expires + 1), /expired/);
  assert.throws(() => openHandle(key, ''), InvalidArgumentError);
});
