export { Dispatcher } from './dispatcher.js';
export type { DispatcherOptions, UpgradeAnswer } from './dispatcher.js';
