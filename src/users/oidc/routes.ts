// OpenID Connect on the manager API (docs/access.md, "OIDC"): an administrator sets the provider
// (/berth/v1/oidc); a browser logs in with the authorization code flow (PKCE, state, nonce) at
// /login and /callback, the CLI with the device flow at /device and /device/token; an OIDC
// session is renewed at /refresh, which reads the groups again. Logins answer the session as
// JSON ({Token, ExpiresAt, User}), or a short page for a browser.

import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { buildAuthorizationUrl, calculatePKCECodeChallenge } from 'openid-client';
import type { Store, Tx } from '../../store/index.js';
import { InvalidArgumentError, NotFoundError, TooManyRequestsError, UnauthorizedError, type OidcConfig } from '../../types/index.js';
import { body as objectBody } from '../rules.js';
import { findToken } from '../tokens.js';
import { groupsOf } from './claims.js';
import { checkIssuer } from './fetch.js';
import { OIDC_CONFIG_ID } from './kinds.js';
import { findOidcUser, SESSION_NAME, sessionExpiry, signIn, type Session } from './login.js';
import { codeGrant, deviceGrant, discover, ProviderRefusal, Providers, refreshGrant, startDevice } from './provider.js';
import { loginNonce, openHandle, pkceVerifier, sealHandle, signState, verifyState } from './state.js';

export interface OidcOptions {
  store: Store;
  /** Called with the user a login or refresh acts for: the request had no caller before (the audit log names them). */
  signedIn?: (request: FastifyRequest, user: string) => void;
}

const CALLBACK = '/berth/v1/oidc/callback';
const COOKIE = 'berth_oidc_login';
/** The portal page a browser login returns to (the portal's login page takes the session from there). */
const NEXT_COOKIE = 'berth_oidc_next';
// A path inside the portal only: anything else would make the login an open redirect.
const PORTAL_PATH = /^\/(?![/\\])[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]{0,1023}$/;
const DEFAULTS = { Scopes: 'openid profile email groups', GroupsClaim: 'groups', UsernameClaim: 'preferred_username' };
const NOT_SET = 'OIDC is not configured on this cluster: an administrator sets it with berth oidc set';

const configView = (c: OidcConfig) => ({ Issuer: c.Spec.Issuer, ClientId: c.Spec.ClientId, Scopes: c.Spec.Scopes, GroupsClaim: c.Spec.GroupsClaim, UsernameClaim: c.Spec.UsernameClaim, RedirectPath: CALLBACK, UpdatedAt: c.UpdatedAt });

export function oidcRoutes(app: FastifyInstance, { store, signedIn = () => undefined }: OidcOptions): void {
  const providers = new Providers();
  const current = (): OidcConfig => {
    const c = store.view((tx) => tx.oidcConfigs.get(OIDC_CONFIG_ID));
    if (!c) throw new NotFoundError(NOT_SET);
    return c;
  };
  const refused = (err: unknown): never => {
    if (err instanceof ProviderRefusal) throw new UnauthorizedError(`the OIDC provider refused the login: ${err.message.slice(0, 512)}`);
    throw err;
  };

  app.get('/berth/v1/oidc', async () => configView(current()));

  app.put('/berth/v1/oidc', async (request) => {
    const b = objectBody(request);
    const issuer = await checkIssuer(b.Issuer);
    const text = (field: string, max: number, fallback?: string): string => {
      const v = b[field] ?? fallback;
      if (typeof v !== 'string' || v.length === 0 || v.length > max) throw new InvalidArgumentError(`${field}: a string of 1 to ${max} characters`);
      return v;
    };
    const before = store.view((tx) => tx.oidcConfigs.get(OIDC_CONFIG_ID));
    const secret = b.ClientSecret === undefined && before?.Spec.Issuer === issuer ? before.Spec.ClientSecret : b.ClientSecret;
    if (typeof secret !== 'string' || secret.length === 0 || secret.length > 1024) throw new InvalidArgumentError('ClientSecret: the client secret the provider gave this cluster (required when the issuer is set or changed)');
    const scopes = text('Scopes', 1024, DEFAULTS.Scopes);
    if (!scopes.split(' ').includes('openid')) throw new InvalidArgumentError('Scopes: space-separated, and must include openid (e.g. "openid profile email groups")');
    const spec = { Issuer: issuer, ClientId: text('ClientId', 255), ClientSecret: secret, Scopes: scopes, GroupsClaim: text('GroupsClaim', 255, DEFAULTS.GroupsClaim), UsernameClaim: text('UsernameClaim', 255, DEFAULTS.UsernameClaim), StateKey: before?.Spec.StateKey ?? randomBytes(32).toString('hex') };
    // A typo in the issuer shows now, not at the first login.
    await discover(spec).catch((err: Error) => {
      throw new InvalidArgumentError(`Issuer: ${err.message}`);
    });
    const saved = store.update((tx) => {
      const found = tx.oidcConfigs.get(OIDC_CONFIG_ID);
      if (found) return tx.oidcConfigs.update({ ...found, Spec: spec });
      return tx.oidcConfigs.create({ ID: OIDC_CONFIG_ID, Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: spec });
    });
    return configView(saved);
  });

  app.delete('/berth/v1/oidc', async (_request, reply) => {
    store.update((tx) => {
      if (!tx.oidcConfigs.get(OIDC_CONFIG_ID)) throw new NotFoundError(NOT_SET);
      tx.oidcConfigs.delete(OIDC_CONFIG_ID);
      // Sessions it made end with it; OIDC users stay (an administrator removes them).
      for (const t of tx.apiTokens.list()) if (t.Spec.Kind === 'session' && t.Spec.Name === SESSION_NAME) tx.apiTokens.delete(t.ID);
    });
    return reply.code(204).send();
  });

  app.get<{ Querystring: { next?: string } }>('/berth/v1/oidc/login', async (request, reply) => {
    const stored = current();
    const next = request.query.next;
    if (next !== undefined && !PORTAL_PATH.test(next)) throw new InvalidArgumentError('next: a path of the portal to return to, such as /services');
    const config = await providers.get(stored);
    const { state, login } = signState(stored.Spec.StateKey, `${request.protocol}://${request.host}${CALLBACK}`);
    const url = buildAuthorizationUrl(config, {
      redirect_uri: login.redirectUri,
      scope: stored.Spec.Scopes,
      state,
      nonce: loginNonce(stored.Spec.StateKey, login),
      code_challenge: await calculatePKCECodeChallenge(pkceVerifier(stored.Spec.StateKey, login)),
      code_challenge_method: 'S256',
    });
    // The state is good only in the browser that started the login (no one else's login can be slipped in).
    const secure = request.protocol === 'https' ? '; Secure' : '';
    const cookies = [`${COOKIE}=${login.id}; Path=/berth/v1/oidc; Max-Age=600; HttpOnly; SameSite=Lax${secure}`];
    cookies.push(next === undefined ? `${NEXT_COOKIE}=; Path=/berth/v1/oidc; Max-Age=0; HttpOnly; SameSite=Lax` : `${NEXT_COOKIE}=${encodeURIComponent(next)}; Path=/berth/v1/oidc; Max-Age=600; HttpOnly; SameSite=Lax${secure}`);
    void reply.header('set-cookie', cookies);
    return reply.code(302).header('location', url.href).send();
  });

  app.get<{ Querystring: Record<string, string | undefined> }>(CALLBACK, async (request, reply) => {
    const q = request.query;
    if (typeof q.error === 'string') throw new UnauthorizedError(`the OIDC provider refused the login: ${q.error.slice(0, 64)}${typeof q.error_description === 'string' ? `: ${q.error_description.slice(0, 256)}` : ''}`);
    const stored = current();
    const key = stored.Spec.StateKey;
    const login = verifyState(key, q.state);
    if (cookie(request, COOKIE) !== login.id) throw new InvalidArgumentError('state: this login was not started in this browser (or its cookie was lost): start again at /berth/v1/oidc/login');
    if (store.view((tx) => tx.oidcUsedStates.get(login.id))) throw new InvalidArgumentError('state: this login was already answered: start again at /berth/v1/oidc/login');
    if (typeof q.code !== 'string' || q.code.length > 4096) throw new InvalidArgumentError('code: missing: the provider sends it back with the state');
    const callback = new URL(login.redirectUri);
    for (const [k, v] of Object.entries(q)) if (typeof v === 'string') callback.searchParams.set(k, v);
    const config = await providers.get(stored);
    const tokens = await codeGrant(config, stored, callback, { verifier: pkceVerifier(key, login), state: q.state!, nonce: loginNonce(key, login) }).catch(refused);
    const session = store.update((tx) => {
      useState(tx, login.id, login.expires);
      return signIn(tx, stored, tokens);
    });
    signedIn(request, session.User);
    void reply.header('set-cookie', [`${COOKIE}=; Path=/berth/v1/oidc; Max-Age=0; HttpOnly; SameSite=Lax`, `${NEXT_COOKIE}=; Path=/berth/v1/oidc; Max-Age=0; HttpOnly; SameSite=Lax`]);
    const next = portalPath(cookie(request, NEXT_COOKIE));
    if (next) return toPortal(reply, next, session);
    return answer(request, reply, session);
  });

  app.post('/berth/v1/oidc/device', async () => {
    const stored = current();
    const started = await startDevice(await providers.get(stored), stored).catch(refused);
    const expires = Date.now() + Math.min(started.expires_in, 1800) * 1000;
    return {
      UserCode: started.user_code,
      VerificationUri: started.verification_uri,
      VerificationUriComplete: started.verification_uri_complete ?? '',
      Interval: started.interval ?? 5,
      ExpiresAt: new Date(expires).toISOString(),
      Handle: sealHandle(stored.Spec.StateKey, started.device_code, expires),
    };
  });

  app.post('/berth/v1/oidc/device/token', async (request) => {
    const stored = current();
    const deviceCode = openHandle(stored.Spec.StateKey, objectBody(request).Handle);
    const tokens = await deviceGrant(await providers.get(stored), stored, deviceCode).catch((err: unknown) => {
      if (err instanceof ProviderRefusal && err.error === 'authorization_pending') throw new InvalidArgumentError('authorization_pending: the login was not approved yet: ask again after Interval seconds');
      if (err instanceof ProviderRefusal && err.error === 'slow_down') throw new TooManyRequestsError('slow_down: ask less often (add 5 seconds to Interval)', 5);
      return refused(err);
    });
    const session = store.update((tx) => signIn(tx, stored, tokens));
    signedIn(request, session.User);
    return session;
  });

  app.post('/berth/v1/oidc/refresh', async (request) => {
    const secret = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    if (!secret) throw new InvalidArgumentError('send the OIDC session to renew as Authorization: Bearer TOKEN');
    // An expired session may still be renewed: the provider's refresh token decides.
    const token = store.view((tx) => findToken(tx, secret, 0));
    const user = store.view((tx) => tx.users.byName(token.Spec.User));
    if (token.Spec.Kind !== 'session' || token.Spec.Name !== SESSION_NAME || !token.Spec.RefreshToken || !user?.Spec.Oidc) throw new InvalidArgumentError('only an OIDC session with a refresh token is renewed here: log in again (berth login --manager --oidc)');
    signedIn(request, user.Spec.Name);
    const stored = current();
    const oidc = user.Spec.Oidc;
    const end = (why: string): never => {
      store.update((tx) => tx.apiTokens.get(token.ID) && tx.apiTokens.delete(token.ID));
      throw new UnauthorizedError(`${why}: the session ended; log in again (berth login --manager --oidc)`);
    };
    if (oidc.Issuer !== stored.Spec.Issuer) end('the OIDC provider changed since this login');
    const tokens = await refreshGrant(await providers.get(stored), stored, token.Spec.RefreshToken, oidc.Subject).catch((err: unknown) => (err instanceof ProviderRefusal ? end(`the OIDC provider refused to renew it (${err.message.slice(0, 256)})`) : Promise.reject(err)));
    const groups = groupsOf(tokens.claims, stored.Spec.GroupsClaim);
    const expires = sessionExpiry(tokens);
    store.update((tx) => {
      const now = findOidcUser(tx, oidc.Issuer, oidc.Subject);
      const row = tx.apiTokens.get(token.ID);
      if (!now || now.Spec.Disabled || !row) throw new UnauthorizedError(`user ${user.Spec.Name} is disabled or removed: ask an administrator`);
      tx.users.update({ ...now, Spec: { ...now.Spec, Oidc: { ...oidc, Groups: groups } } });
      tx.apiTokens.update({ ...row, Spec: { ...row.Spec, ExpiresAt: expires, RefreshToken: tokens.refreshToken ?? token.Spec.RefreshToken! } });
    });
    return { Token: secret, ExpiresAt: expires, User: user.Spec.Name } satisfies Session;
  });
}

/** useState records a login state as answered (refused from then on), forgetting those past their expiry. */
function useState(tx: Tx, id: string, expires: number): void {
  const now = Date.now();
  for (const s of tx.oidcUsedStates.list()) if (Date.parse(s.ExpiresAt) <= now) tx.oidcUsedStates.delete(s.ID);
  if (tx.oidcUsedStates.get(id)) throw new InvalidArgumentError('state: this login was already answered: start again at /berth/v1/oidc/login');
  tx.oidcUsedStates.create({ ID: id, Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', ExpiresAt: new Date(expires).toISOString() });
}

function cookie(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

function portalPath(encoded: string | undefined): string | undefined {
  try {
    const path = decodeURIComponent(encoded ?? '');
    return PORTAL_PATH.test(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

/** toPortal sends the browser to the portal's login page with the session in the fragment, which no server sees. */
function toPortal(reply: FastifyReply, next: string, session: Session): FastifyReply {
  const fragment = Buffer.from(JSON.stringify(session)).toString('base64url');
  return reply.header('cache-control', 'no-store').code(302).header('location', `/ui/login?next=${encodeURIComponent(next)}#session=${fragment}`).send();
}

const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** answer gives the session as JSON, or to a browser a page that says how to use it. */
function answer(request: FastifyRequest, reply: FastifyReply, session: Session): Session | FastifyReply {
  void reply.header('cache-control', 'no-store');
  if (!(request.headers.accept ?? '').includes('text/html')) return session;
  void reply.type('text/html; charset=utf-8');
  return reply.send(
    `<!doctype html><title>Berth: signed in</title><h1>Signed in as ${escape(session.User)}</h1>` +
      `<p>Your session token (until ${escape(session.ExpiresAt)}) is shown once:</p><pre>${escape(session.Token)}</pre>` +
      `<p>Send it as <code>Authorization: Bearer TOKEN</code>, or log in from a terminal with <code>berth login --manager --oidc</code>.</p>`,
  );
}
