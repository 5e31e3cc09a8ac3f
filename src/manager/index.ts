export { Manager } from './manager.js';
export type { ManagerOptions } from './manager.js';
export { parseListen, assertLoopback } from './listen.js';
export { registryAddresses } from './registry-tls.js';
export { parseStoreUrl } from './store-url.js';
export type { EtcdFiles } from './store-url.js';
export { joinedBefore, keepManagerKeys } from './join-keys.js';
