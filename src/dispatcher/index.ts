export { Dispatcher } from './dispatcher.js';
export type { DispatcherOptions } from './dispatcher.js';
