// The audit hooks on the manager API: every request that may change something (any method but
// GET and HEAD) gets one entry, written as the answer leaves and before the API waits for the
// store to persist (so an acknowledged change has its entry in the same durable state). Refused
// requests are entries too, with their status and message. A follower forwards changes, so the
// leader records them, naming the client the follower named.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { auditNoteOf } from '../common/audit-note.js';
import type { Logger } from '../common/log.js';
import { newId } from '../common/ids.js';
import type { Store } from '../store/index.js';
import { find, nameOf, target, type Target } from './actions.js';
import { changes } from './diff.js';
import type { AuditAuth, AuditEntry } from './kinds.js';

interface Pending {
  target: Target;
  before: unknown;
}

const pending = new WeakMap<FastifyRequest, Pending>();
const MAX_ERROR = 1024;

/** A terminal's size changes with every window resize of an exec: not a change to record. */
const NOT_RECORDED = new Set(['/exec/:id/resize']);

/** GETs that change something: the OIDC callback makes a user and a session; a WebSocket starts an exec. */
const CHANGING_GETS = new Set(['/berth/v1/oidc/callback', '/berth/v1/exec/:id/start']);

// A dry run (a stack's plan) changes nothing.
const audited = (request: FastifyRequest): boolean =>
  ((request.method !== 'GET' && request.method !== 'HEAD') || CHANGING_GETS.has(request.routeOptions.url ?? '')) && !NOT_RECORDED.has(request.routeOptions.url ?? '') && (request.query as { dryRun?: string } | undefined)?.dryRun !== 'true';

/** Who made a request, as the log names them (the manager's access layer resolves it; through a follower, the follower's client). */
export interface Identity {
  User: string;
  Auth: AuditAuth;
  Source: string;
}

/** recordAudit adds the hooks; call it before the hook that waits for durability (server.ts). */
export function recordAudit(app: FastifyInstance, store: Store, log: Logger, identify: (request: FastifyRequest) => Identity): void {
  app.addHook('preHandler', async (request) => {
    if (!audited(request) || !request.routeOptions.url) return;
    const t = target(request.method, request.routeOptions.url, (request.params ?? {}) as Record<string, string | undefined>);
    pending.set(request, { target: t, before: store.view((tx) => structuredClone(find(tx, t.kind, t.ref))) });
  });

  app.addHook('onSend', async (request, reply, payload) => {
    if (!audited(request)) return payload;
    try {
      store.update((tx) => tx.auditEntries.create(entry(request, identify(request), reply.statusCode, payload, pending.get(request), store)));
    } catch (err) {
      // A manager that may not write (a follower, a store that failed) has nothing to record: the leader does.
      log.warn({ err, url: request.url }, 'the audit entry of a request was not written');
    }
    return payload;
  });
}

function entry(request: FastifyRequest, who: Identity, status: number, payload: unknown, p: Pending | undefined, store: Store): AuditEntry {
  // Without a pending read the request was refused before its handler (access denied, a bad version).
  const t = p?.target ?? target(request.method, request.routeOptions.url ?? request.url.split('?')[0]!, (request.params ?? {}) as Record<string, string | undefined>);
  const body = parseBody(payload);
  // A create names its object in the answer ({"ID": ...}; networks say "Id").
  const createdId = typeof body?.ID === 'string' ? body.ID : typeof body?.Id === 'string' ? body.Id : undefined;
  const before = p?.before as { ID: string } | undefined;
  const after = status < 300 && t.verb !== 'delete' ? store.view((tx) => find(tx, t.kind, createdId ?? before?.ID ?? t.ref)) : undefined;
  const object = after ?? before;
  const diff = after ? changes(before, after) : [];
  const name = nameOf(object) ?? t.ref;
  // What the route said it acted on (a container, through its task) and the command an exec runs.
  const note = auditNoteOf(request);
  return {
    ID: newId(),
    Version: { Index: 0 },
    CreatedAt: '',
    UpdatedAt: '',
    Time: new Date().toISOString(),
    ...who,
    Action: `${t.kind}.${t.verb}`,
    Method: request.method,
    Path: request.url.split('?')[0]!,
    ...(note ? { Object: note.object } : (object || name) && { Object: { Kind: t.kind, ...(object && { ID: object.ID }), ...(name !== undefined && { Name: name }) } }),
    ...(note?.command && { Command: note.command }),
    ...(diff.length > 0 && { Changes: diff }),
    Status: status,
    ...(status >= 300 && typeof body?.message === 'string' && { Error: body.message.slice(0, MAX_ERROR) }),
  };
}

function parseBody(payload: unknown): Record<string, unknown> | undefined {
  if (typeof payload !== 'string' || !payload.startsWith('{')) return undefined;
  try {
    return JSON.parse(payload) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
