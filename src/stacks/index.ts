// The kind registers itself when this subsystem is loaded: before any store opens.
import './kinds.js';

export type { Stack, StackSpec } from './kinds.js';
export type { StackEngine } from './engine.js';
export { stackRoutes, type StackOptions } from './routes.js';
