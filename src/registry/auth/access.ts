// The one authorization seam: every request names the repositories it touches and the actions
// it needs (the token-auth scope model: repository:<name>:pull,push,delete), and one Authorizer
// decides before any handler runs. A running registry uses token auth (token-authorizer.ts);
// `allowAll` and `trustEveryone` serve the protocol tests, which build a server without auth.

import type { IncomingHttpHeaders } from 'node:http';
import type { AdminGuard } from '../admin/admin.js';

export type Action = 'pull' | 'push' | 'delete';

export interface AccessScope {
  repository: string;
  actions: Action[];
}

export interface AccessRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** Empty for GET /v2/ (which token auth uses to challenge the client). */
  scopes: AccessScope[];
}

/** Resolves to allow, with the account the request is from ('' anonymous); throws a RegistryError (UNAUTHORIZED with a challenge, or DENIED) to refuse. */
export type Authorizer = (request: AccessRequest) => Promise<string>;

export const allowAll: Authorizer = async () => '';

/** The admin API's guard for servers built without auth (protocol tests): every caller is an administrator. */
export const trustEveryone: AdminGuard = async () => ({ name: '', admin: true, robot: false });
