// The manager's OpenID Connect provider (docs/access.md, "OIDC"): one per cluster, in the store
// so that every manager answers logins alike.

import type { Meta } from './objects.js';

export interface OidcConfigSpec {
  /** The provider's issuer URL: https, or http on loopback only. */
  Issuer: string;
  ClientId: string;
  /** Write-only: the API never returns it. */
  ClientSecret: string;
  /** Space-separated, with "openid" (default "openid profile email groups"). */
  Scopes: string;
  /** The claim (ID token or userinfo) that lists the user's groups (default "groups"). */
  GroupsClaim: string;
  /** The claim that names a new user (default "preferred_username", else "email"). */
  UsernameClaim: string;
  /** Random key (hex) that signs login states and seals device-flow handles; made with the config. */
  StateKey: string;
}
export interface OidcConfig extends Meta {
  Spec: OidcConfigSpec;
}

/** A login state already answered (refused again until it expires): a state is good once. */
export interface OidcUsedState extends Meta {
  ExpiresAt: string;
}
