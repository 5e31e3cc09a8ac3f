// The audit log's store object: one entry per request that changed, or tried to change, the
// cluster (audit.md). Written by the leader's API as it answers; removed by the retention loop.

import { defineKind } from '../store/index.js';
import type { Meta } from '../types/index.js';

/** How the caller proved who they are. */
/** none: a request refused before its caller was known (no or a bad token). */
export type AuditAuth = 'certificate' | 'unix-socket' | 'insecure-api' | 'token' | 'session' | 'registry-token' | 'registry-login' | 'none';

export interface AuditChange {
  /** The field, as a dotted path into the object (Spec.Mode.Replicated.Replicas). */
  Path: string;
  /** Absent when the field was added; a redacted value reads "<redacted>". */
  Old?: unknown;
  /** Absent when the field was removed. */
  New?: unknown;
}

export interface AuditEntry extends Meta {
  /** When the answer was given (RFC 3339). */
  Time: string;
  /** Who: a client certificate's name, `root` on the unix socket, `anonymous` on an --insecure-api port; on the registry, the account its token names. */
  User: string;
  Auth: AuditAuth;
  /** The client's address (through a follower: the client's, not the follower's). */
  Source: string;
  /** What, as `kind.verb` (service.update, secret.create, swarm.update, ...). */
  Action: string;
  Method: string;
  /** The path without the query string (which may carry a registry login). */
  Path: string;
  /** A container is named `NODE/<task's name>`, with its node. */
  Object?: { Kind: string; ID?: string; Name?: string; Node?: { ID: string; Name: string } };
  /** The command line an exec runs (exec create and start). */
  Command?: string[];
  /** Field by field, before and after; secret data and passwords never appear. */
  Changes?: AuditChange[];
  /** The HTTP status of the answer. */
  Status: number;
  /** The refusal's message, when the status is not 2xx. */
  Error?: string;
}

declare module '../store/index.js' {
  interface KindTypes {
    auditEntry: { object: AuditEntry; accessor: 'auditEntries' };
  }
}

// Sealed: an entry names users, addresses and the values a spec held (environment included).
defineKind({ kind: 'auditEntry', accessor: 'auditEntries', sealed: true });
