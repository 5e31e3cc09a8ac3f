export * from './objects.js';
export * from './task-state.js';
export * from './errors.js';
export * from './protocol.js';
export * from './logs.js';
export * from './registry.js';
export * from './pull-auth.js';
export * from './replication.js';
