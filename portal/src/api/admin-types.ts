// The directory's and the audit log's shapes under /berth/v1 (src/users/rules.ts userView and
// teamView, session-routes.ts tokenView, oidc/routes.ts configView, src/audit/kinds.ts).

export type ClusterRole = '' | 'viewer' | 'operator' | 'admin';
export type TeamRole = 'viewer' | 'operator' | 'lead';

export interface DirectoryUser {
  ID: string;
  Name: string;
  Email: string;
  /** '' for none: the user acts only through their teams. */
  Role: ClusterRole;
  Disabled: boolean;
  Source: 'local' | 'oidc';
  CreatedAt: string;
}

export interface Team {
  ID: string;
  Name: string;
  Members: Array<{ User: string; Role: TeamRole }>;
  Stacks: string[];
  Groups: Array<{ Group: string; Role: TeamRole }>;
}

export interface ApiToken {
  ID: string;
  User: string;
  Kind: 'token' | 'session';
  Name: string;
  Role: ClusterRole;
  ExpiresAt: string;
  CreatedAt: string;
}

/** A token as it is created: the secret is in this answer only. */
export interface NewToken extends ApiToken {
  Token: string;
}

export interface OidcSettings {
  Issuer: string;
  ClientId: string;
  Scopes: string;
  GroupsClaim: string;
  UsernameClaim: string;
  /** Where the provider sends the browser back: register it as the client's redirect URI. */
  RedirectPath: string;
}

export interface AuditEntry {
  ID: string;
  Time: string;
  User: string;
  Auth: string;
  Source: string;
  Action: string;
  Method: string;
  Path: string;
  Object?: { Kind: string; ID?: string; Name?: string; Node?: { ID: string; Name: string } };
  Command?: string[];
  Changes?: Array<{ Path: string; Old?: unknown; New?: unknown }>;
  Status: number;
  Error?: string;
}
