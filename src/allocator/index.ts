export { Allocator } from './allocator.js';
export { NetworkKeys } from './network-keys.js';
