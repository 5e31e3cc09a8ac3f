// The cluster CA: root, signing, joining and renewal (see docs/security.md).

// Importing the CA registers its store kinds (kinds.ts), before any store opens.
import './kinds.js';

export { CertificateAuthority, DEFAULT_NODE_CERT_EXPIRY_MS, type AuthorityOptions, type Issued } from './authority.js';
export { caRoutes } from './routes.js';
export { checkRequest, issue, issueWithKey, type Subject } from './issue.js';
export { createRootCA, loadOrCreateRoot, type RootCA } from './root.js';
export { rootWithKey, saveRoot, KEY_FILE as ROOT_KEY_FILE } from './root.js';
export { ClientCertificates, CLIENT_CERT_VALIDITY_MS, type IssuedClient } from './clients.js';
export { clientCertificateRoutes } from './client-routes.js';
export { RootRotation, type RotationOptions } from './rotation.js';
export { finishPromotion, loadTrust, steadyTrust, type Trust } from './trust.js';
export { plainKeys, type RootKeyStore } from './key-store.js';
export { NEXT_KEY as NEXT_ROOT_KEY_FILE } from './trust.js';
