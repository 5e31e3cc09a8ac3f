// GET /berth/v1/audit: the audit log, newest first, filtered by user, object (ID prefix or
// name), action and time. Reading it is itself not recorded.

import type { FastifyInstance } from 'fastify';
import { parseDockerTime } from '../common/docker-time.js';
import type { Store } from '../store/index.js';
import { InvalidArgumentError } from '../types/index.js';
import type { AuditEntry } from './kinds.js';

export const AUDIT_PATH = '/berth/v1/audit';
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1_000;

type Query = Record<string, string | undefined>;

export function auditRoutes(app: FastifyInstance, store: Store): void {
  app.get<{ Querystring: Query }>(AUDIT_PATH, (request) => {
    const q = request.query;
    const since = q.since === undefined ? undefined : timeParam('since', q.since);
    const until = q.until === undefined ? undefined : timeParam('until', q.until);
    const limit = limitParam(q.limit);
    const matches = (e: AuditEntry): boolean =>
      (q.user === undefined || e.User === q.user) &&
      (q.action === undefined || e.Action === q.action || e.Action.startsWith(`${q.action}.`)) &&
      (q.object === undefined || e.Object?.Name === q.object || (q.object.length > 0 && (e.Object?.ID ?? '').startsWith(q.object))) &&
      (since === undefined || e.Time >= since) &&
      (until === undefined || e.Time <= until);
    return store.view((tx) => tx.auditEntries.list().filter(matches).sort((a, b) => b.Time.localeCompare(a.Time) || b.ID.localeCompare(a.ID)).slice(0, limit).map(present));
  });
}

/** present leaves out the store's bookkeeping. */
function present(e: AuditEntry): Omit<AuditEntry, 'Version' | 'CreatedAt' | 'UpdatedAt'> {
  const { Version: _v, CreatedAt: _c, UpdatedAt: _u, ...rest } = e;
  return rest;
}

/** timeParam reads an RFC 3339 time, Unix seconds, or a duration before now (10m, 1h30m), as docker's --since does. */
export function timeParam(name: string, value: string): string {
  const ms = parseDockerTime(value, Date.now());
  if (ms === undefined) throw new InvalidArgumentError(`invalid ${name} ${JSON.stringify(value)}: give an RFC 3339 time (2026-12-01T09:00:00Z), Unix seconds, or a duration before now (30m, 2h)`);
  return new Date(ms).toISOString();
}

function limitParam(value: string | undefined): number {
  if (value === undefined) return DEFAULT_LIMIT;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT) throw new InvalidArgumentError(`invalid limit ${JSON.stringify(value)}: a whole number from 1 to ${MAX_LIMIT}`);
  return n;
}
