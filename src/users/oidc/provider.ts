// The provider as openid-client sees it: discovered once per configuration (and again after an
// hour, or when the configuration changes), every request through the guarded fetch. Each step
// of a login returns the tokens and the claims to read groups and names from: the ID token's,
// completed from userinfo when the ID token does not carry the groups claim.

import * as client from 'openid-client';
import { UnavailableError, type OidcConfig } from '../../types/index.js';
import type { Claims } from './claims.js';
import { guardedFetch } from './fetch.js';

const DISCOVERY_MS = 3600_000;
export const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

export interface Tokens {
  claims: Claims;
  accessToken: string;
  refreshToken?: string;
  /** Seconds the access token lives, when the provider says. */
  expiresIn?: number;
}

/** What the provider answered (an OAuth error or a bad ID token), for the caller to turn into a 4xx. */
export class ProviderRefusal extends Error {
  constructor(
    readonly error: string,
    message: string,
  ) {
    super(message);
  }
}

export async function discover(spec: OidcConfig['Spec']): Promise<client.Configuration> {
  const url = new URL(spec.Issuer);
  const fetch = guardedFetch(spec.Issuer);
  try {
    const config = await client.discovery(url, spec.ClientId, undefined, client.ClientSecretBasic(spec.ClientSecret), {
      [client.customFetch]: fetch,
      ...(url.protocol === 'http:' && { execute: [client.allowInsecureRequests] }),
      timeout: 10,
    });
    config[client.customFetch] = fetch;
    return config;
  } catch (err) {
    throw new UnavailableError(`the OIDC provider ${spec.Issuer} did not answer its discovery (${url.href.replace(/\/$/, '')}/.well-known/openid-configuration): ${(err as Error).message}`);
  }
}

/** Providers holds one discovered configuration per stored configuration version. */
export class Providers {
  #cached: { key: string; at: number; config: Promise<client.Configuration> } | undefined;

  get(stored: OidcConfig): Promise<client.Configuration> {
    const key = `${stored.ID}:${stored.Version.Index}`;
    if (!this.#cached || this.#cached.key !== key || Date.now() - this.#cached.at > DISCOVERY_MS) {
      const config = discover(stored.Spec);
      // A failed discovery is tried again by the next login.
      config.catch(() => (this.#cached = undefined));
      this.#cached = { key, at: Date.now(), config };
    }
    return this.#cached.config;
  }
}

/** tokensOf reads a token endpoint's answer; userinfo fills in when the ID token lacks the groups claim. */
async function tokensOf(config: client.Configuration, answer: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers, groupsClaim: string, subject?: string): Promise<Tokens> {
  let claims: Claims = { ...(answer.claims() ?? {}) };
  const sub = typeof claims.sub === 'string' ? claims.sub : subject;
  if (!sub) throw new ProviderRefusal('invalid_token', 'the provider sent no ID token');
  if (subject && sub !== subject) throw new ProviderRefusal('invalid_token', 'the provider answered for another user');
  if (!(groupsClaim in claims) && config.serverMetadata().userinfo_endpoint) {
    claims = { ...(await client.fetchUserInfo(config, answer.access_token, sub)), ...claims };
  }
  return {
    claims: { ...claims, sub },
    accessToken: answer.access_token,
    ...(answer.refresh_token && { refreshToken: answer.refresh_token }),
    ...(typeof answer.expires_in === 'number' && { expiresIn: answer.expires_in }),
  };
}

/** refusal turns what openid-client throws for a provider's answer into a ProviderRefusal; anything else (the provider unreachable) is a 503. */
async function asked<T>(issuer: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof ProviderRefusal) throw err;
    if (err instanceof client.ResponseBodyError) throw new ProviderRefusal(err.error, err.error_description ? `${err.error}: ${err.error_description}` : err.error);
    if (err instanceof client.ClientError || err instanceof client.AuthorizationResponseError) throw new ProviderRefusal('invalid_response', err.message);
    throw new UnavailableError(`the OIDC provider ${issuer} did not answer: ${(err as Error).message}`);
  }
}

export function codeGrant(config: client.Configuration, stored: OidcConfig, callback: URL, checks: { verifier: string; state: string; nonce: string }): Promise<Tokens> {
  return asked(stored.Spec.Issuer, async () => {
    const answer = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: checks.verifier, expectedState: checks.state, expectedNonce: checks.nonce, idTokenExpected: true });
    return tokensOf(config, answer, stored.Spec.GroupsClaim);
  });
}

export function refreshGrant(config: client.Configuration, stored: OidcConfig, refreshToken: string, subject: string): Promise<Tokens> {
  return asked(stored.Spec.Issuer, async () => tokensOf(config, await client.refreshTokenGrant(config, refreshToken), stored.Spec.GroupsClaim, subject));
}

export function startDevice(config: client.Configuration, stored: OidcConfig): Promise<client.DeviceAuthorizationResponse> {
  return asked(stored.Spec.Issuer, () => client.initiateDeviceAuthorization(config, { scope: stored.Spec.Scopes }));
}

export function deviceGrant(config: client.Configuration, stored: OidcConfig, deviceCode: string): Promise<Tokens> {
  return asked(stored.Spec.Issuer, async () => tokensOf(config, await client.genericGrantRequest(config, DEVICE_GRANT, { device_code: deviceCode }), stored.Spec.GroupsClaim));
}
