// GET /berth/v1/audit: the audit log, newest first, filtered by user, object (ID prefix or
// name), action and time, a page at a time (`before`: the entries after that one). Reading it is
// itself not recorded.

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
    // A cursor, not an offset: entries written meanwhile do not shift the next page.
    const before = q.before === undefined ? undefined : cursorParam(store, q.before);
    const matches = (e: AuditEntry): boolean =>
      (q.user === undefined || e.User === q.user) &&
      (q.action === undefined || e.Action === q.action || e.Action.startsWith(`${q.action}.`)) &&
      (q.object === undefined || e.Object?.Name === q.object || (q.object.length > 0 && (e.Object?.ID ?? '').startsWith(q.object))) &&
      (since === undefined || e.Time >= since) &&
      (until === undefined || e.Time <= until) &&
      (before === undefined || newerFirst(before, e) < 0);
    return store.view((tx) => tx.auditEntries.list().filter(matches).sort(newerFirst).slice(0, limit).map(present));
  });
}

/** The log's order: newest first, ties by ID, so that a page's last entry says where the next begins. */
const newerFirst = (a: AuditEntry, b: AuditEntry): number => b.Time.localeCompare(a.Time) || b.ID.localeCompare(a.ID);

function cursorParam(store: Store, id: string): AuditEntry {
  const entry = store.view((tx) => tx.auditEntries.get(id));
  if (!entry) throw new InvalidArgumentError(`invalid before ${JSON.stringify(id)}: no entry has that ID (retention may have removed it): start again from the newest`);
  return entry;
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
