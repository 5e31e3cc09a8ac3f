// Importing the registry registers its store kinds (kinds.ts), before any store opens.
import './kinds.js';

export { Registry, DEFAULT_REGISTRY_LISTEN, checkRegistryListen, loadTls } from './registry.js';
export type { RegistryOptions, ServingCertificate, TlsFiles } from './registry.js';
export { createRegistryServer, DEFAULT_MAX_MANIFEST_BYTES } from './distribution/server.js';
export type { RegistryServerOptions } from './distribution/server.js';
export { RegistryEvents } from './events.js';
export type { RegistryEvent, RegistryListener } from './events.js';
export type { AccessRequest, AccessScope, Action, Authorizer } from './auth/access.js';
export { RegistryError } from './distribution/errors.js';
export type { StorageDriver, FileInfo } from './storage/storage-driver.js';
export { PathNotFoundError } from './storage/storage-driver.js';
export { FilesystemDriver } from './storage/filesystem-driver.js';
export { Replicator } from './replication/replication.js';
export type { ReplicationListener, ReplicatorOptions } from './replication/replication.js';
export { GarbageCollector, DEFAULT_GC_GRACE_MS } from './gc/gc.js';
export type { GcRun, GcOptions } from './gc/gc.js';
export { checkCron } from './policies/schedule.js';
export { bytes } from './policies/quotas.js';
export type { RetentionRun } from './policies/retention.js';
