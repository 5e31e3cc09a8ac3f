export { Store } from './store.js';
export type { StoreOptions } from './store.js';
export { defineKind } from './kinds.js';
export type { KindTypes, Kind, Kinds, ReadTx, Tx, TableReader, TableWriter, NamedReader } from './kinds.js';
export { Watcher } from './watch.js';
export type { Change, Commit, Action } from './watch.js';
export { driveLoop } from './loop.js';
export type { ReconcileLoop, DriveOptions } from './loop.js';
export { loadStoreKey, parseStoreKey, STORE_KEY_FILE } from './key.js';
export { newUnlockKey, parseUnlockKey, seal, shredFile, unseal, WrongUnlockKeyError } from './sealed.js';
// The etcd backend is imported where it is used (src/manager): its gRPC client is heavy to load.
export type { EtcdBackendOptions } from './etcd-backend.js';
export type { StoreBackend, StoredRow } from './backend.js';
export { SqliteBackend } from './sqlite-backend.js';
export { parseSnapshot, restoreInto, snapshotOf, SNAPSHOT_FORMAT } from './snapshot.js';
export type { StoreSnapshot } from './snapshot.js';
export { findConfig, findNetwork, findNode, findSecret, findService, findTask, nodeNames, taskName } from './lookup.js';
