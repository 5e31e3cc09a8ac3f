export { createApiServer } from './server.js';
export type { ApiServerOptions } from './server.js';
