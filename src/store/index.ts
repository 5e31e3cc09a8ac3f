export { Store } from './store.js';
export type { StoreOptions, ReadTx, Tx, TableReader, TableWriter, TaskReader, ServiceReader, NamedReader } from './store.js';
export { Watcher } from './watch.js';
export type { Change, Commit, Kind, Kinds, Action } from './watch.js';
export { driveLoop } from './loop.js';
export type { ReconcileLoop, DriveOptions } from './loop.js';
export { loadStoreKey, parseStoreKey, STORE_KEY_FILE } from './key.js';
export { newUnlockKey, parseUnlockKey, seal, shredFile, unseal, WrongUnlockKeyError } from './sealed.js';
