export { createApiServer } from './server.js';
export type { ApiServerOptions } from './server.js';
export { installErrorHandlers } from './errors.js';
