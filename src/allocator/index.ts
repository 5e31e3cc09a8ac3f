export { Allocator } from './allocator.js';
