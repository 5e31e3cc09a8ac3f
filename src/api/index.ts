export { createApiServer, STORE_INDEX_HEADER } from './server.js';
export type { ApiServerOptions, ManagerView } from './server.js';
export { installErrorHandlers } from './http/errors.js';
export { createLockedApiServer, SWARM_LOCKED, type LockedApiOptions } from './locked.js';
export { ensureNetworks } from './routes/networks.js';
export { engineEndpointForm, engineForm, engineTaskForm } from './validate/engine-form.js';
export { isUpgrade, routeUpgrades } from './http/upgrade.js';
export { SERVER_TIMEOUTS } from './http/http.js';
export { stackEngine } from './stack-engine.js';
