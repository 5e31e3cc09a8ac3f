// The kind registers itself when this subsystem is loaded: before any store opens.
import './kinds.js';

export { type AuditAuth, type AuditChange, type AuditEntry } from './kinds.js';
export { recordAudit, type Identity } from './record.js';
export { auditRoutes, AUDIT_PATH } from './routes.js';
export { AuditRetention, DEFAULT_AUDIT_RETENTION_MS } from './retention.js';
export { recordRegistryActivity, recordRegistryAdmin, type RegistryActivity, type RegistryAdminChange } from './registry.js';
