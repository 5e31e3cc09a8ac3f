import './kinds.js';

export { ADMIN_USER, ensureFirstAdmin } from './bootstrap.js';
export { lesser, teamsOf, userCaller } from './caller.js';
export { LoginLimiter } from './login-limit.js';
export { directoryRoutes, removeUser, type DirectoryOptions } from './routes.js';
export { findToken, issueToken } from './tokens.js';
export { oidcRoutes, type OidcOptions } from './oidc/routes.js';
