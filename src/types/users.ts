// The platform's directory: users (the registry's users too), teams and the API tokens and
// sessions users hold. See docs/access.md.

import type { ClusterRole, Meta } from './objects.js';

export interface UserSpec {
  /** Login name: lower-case letters, digits and ._- (Harbor's rule); "admin" exists from the first start. */
  Name: string;
  Email?: string;
  /** The cluster-wide role; none: the user acts only through their teams. `admin` is also the registry's system administrator. */
  Role?: ClusterRole;
  /** scrypt hash of the password, `scrypt$N$r$p$salt$hash` (base64); absent for a user who signs in only through OIDC. Never returned by the API. */
  PasswordHash?: string;
  /** A disabled user's password, certificates, tokens and sessions stop working at once. */
  Disabled?: boolean;
  /** Set for a user created by an OIDC login: the provider's issuer and subject identify them. */
  Oidc?: { Issuer: string; Subject: string; Groups: string[] };
}
export interface User extends Meta {
  Spec: UserSpec;
}

/** What a team's member may do with what the team owns: read it, change it, or change it and the team's members too. */
export type TeamRole = 'viewer' | 'operator' | 'lead';

export interface TeamMember {
  User: string;
  Role: TeamRole;
}

export interface TeamSpec {
  /** Lower-case letters, digits and ._- ; also the value of the `berth.team` label that gives an object to the team. */
  Name: string;
  Members: TeamMember[];
  /** Stacks (`com.docker.stack.namespace`) the team owns, with everything in them. */
  Stacks: string[];
  /** OIDC groups whose members belong to the team, with the role they get. */
  Groups?: Array<{ Group: string; Role: TeamRole }>;
}
export interface Team extends Meta {
  Spec: TeamSpec;
}

/** A personal access token (`berth token create`) or a login session (`berth login --manager`, an OIDC login). */
export interface ApiTokenSpec {
  /** The user it acts for. */
  User: string;
  Kind: 'token' | 'session';
  /** A token's name, unique per user; a session's client ("berth login", "oidc"). */
  Name: string;
  /** sha256 of the secret (hex): the secret is shown once and never stored. */
  SecretHash: string;
  /** The most it may do: never more than its user's own role (absent: as much as the user). */
  Role?: ClusterRole;
  /** RFC 3339; absent: it does not expire. */
  ExpiresAt?: string;
  /** An OIDC session's refresh token, to re-read the user's groups when the session is renewed. */
  RefreshToken?: string;
}
export interface ApiToken extends Meta {
  Spec: ApiTokenSpec;
}

/** How a caller proved who they are; none: they did not (a login, on a route anyone may call). */
export type AuthMethod = 'unix-socket' | 'insecure-api' | 'certificate' | 'token' | 'session' | 'none';

/** A team the caller belongs to, with what it owns. */
export interface TeamGrant {
  Team: string;
  Role: TeamRole;
  Stacks: readonly string[];
}

/**
 * Who is calling the manager API: the user (the operator's own access names `root`), how they
 * authenticated, their cluster-wide role (capped by their certificate's or token's) and the teams
 * whose objects they may see or change beyond it.
 */
export interface Caller {
  User: string;
  Auth: AuthMethod;
  Role?: ClusterRole;
  Teams: readonly TeamGrant[];
}
