import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openTestStore } from '../../test/helpers/store.js';
import { UnauthorizedError } from '../types/index.js';
import './kinds.js';
import { findToken, issueToken, MAX_SESSIONS } from './tokens.js';

test('a token is found by its secret only: a wrong, forged or malformed secret, or an expired token, is refused', async () => {
  const store = await openTestStore();
  try {
    const a = store.update((tx) => issueToken(tx, { User: 'alice', Kind: 'token', Name: 'ci' }));
    const b = store.update((tx) => issueToken(tx, { User: 'bob', Kind: 'token', Name: 'ci' }));
    assert.equal(store.view((tx) => findToken(tx, a.secret)).Spec.User, 'alice');
    const forged = `berth_${a.token.ID}_${b.secret.split('_')[2]}`;
    for (const bad of [forged, 'berth_x_y', '', `${a.secret}0`]) assert.throws(() => store.view((tx) => findToken(tx, bad)), UnauthorizedError);
    assert.ok(!JSON.stringify(store.view((tx) => tx.apiTokens.list())).includes(a.secret.split('_')[2]!), 'the secret is not stored');
    const old = store.update((tx) => issueToken(tx, { User: 'alice', Kind: 'token', Name: 'old', ExpiresAt: new Date(Date.now() - 1000).toISOString() }));
    assert.throws(() => store.view((tx) => findToken(tx, old.secret)), /expired at/);
  } finally {
    store.close();
  }
});

test("a user's tokens expired for over a day go when they get a new one, and at most MAX_SESSIONS sessions are kept", async () => {
  const store = await openTestStore();
  try {
    const day = 24 * 3600_000;
    store.update((tx) => issueToken(tx, { User: 'alice', Kind: 'session', Name: 'oidc', ExpiresAt: new Date(Date.now() - 2 * day).toISOString() }));
    const recent = store.update((tx) => issueToken(tx, { User: 'alice', Kind: 'session', Name: 'oidc', ExpiresAt: new Date(Date.now() - 1000).toISOString() }));
    store.update((tx) => issueToken(tx, { User: 'alice', Kind: 'token', Name: 'ci' }));
    // The one expired an hour ago may still be refreshed; the one expired two days ago is gone.
    assert.deepEqual(store.view((tx) => tx.apiTokens.byUser('alice').map((t) => t.Spec.Name)).sort(), ['ci', 'oidc']);
    assert.ok(store.view((tx) => tx.apiTokens.get(recent.token.ID)));
    let last = recent;
    for (let i = 0; i < MAX_SESSIONS + 5; i++) last = store.update((tx) => issueToken(tx, { User: 'alice', Kind: 'session', Name: 'berth login' }));
    const sessions = store.view((tx) => tx.apiTokens.byUser('alice').filter((t) => t.Spec.Kind === 'session'));
    assert.equal(sessions.length, MAX_SESSIONS);
    assert.ok(sessions.some((t) => t.ID === last.token.ID), 'the newest is kept');
    assert.ok(store.view((tx) => tx.apiTokens.list().some((t) => t.Spec.Kind === 'token')), 'tokens are not sessions: not capped');
  } finally {
    store.close();
  }
});
