// GET /events: the swarm-scope events `docker events` shows (and Berth's task events), one JSON
// object per line, from this manager's own store watch (events/hub.ts). The headers go at once
// (the CLI waits for them); the stream ends at `until`, when the client goes, or when the client
// falls MAX_BACKLOG events behind. A team member sees the events of their teams' objects only.

import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { scopeOf } from '../../common/request-scope.js';
import type { Store } from '../../store/index.js';
import { EventHub, MAX_BACKLOG, type Subscription } from '../events/hub.js';
import { parseEventQuery, type EventQueryString } from '../events/query.js';

/** Node turns longer timer delays into 1 ms: a far `until` is waited for in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export function eventRoutes(app: FastifyInstance, store: Store): void {
  const hub = new EventHub(store, app.log);
  // Open streams would hold the server's close up: they end first.
  app.addHook('preClose', async () => hub.close());

  app.get<{ Querystring: EventQueryString }>('/events', (request, reply) => {
    const query = parseEventQuery(request.query, Date.now());
    const visible = scopeOf(request);
    const sub = hub.subscribe({
      // As dockerd: the kept events are replayed when the client names a time.
      replay: query.since !== undefined || query.until !== undefined,
      accepts: (e) => query.accepts(e) && (!visible || e.owner === undefined || visible(e.owner)),
      onOverflow: () => request.log.warn({ backlog: MAX_BACKLOG }, 'an events client fell too far behind: its stream ends'),
    });
    let timer: NodeJS.Timeout | undefined;
    const endAtUntil = (): void => {
      const left = query.until === undefined ? undefined : Number(query.until / 1_000_000n) - Date.now();
      if (left === undefined) return;
      if (left <= 0) return sub.end();
      timer = setTimeout(endAtUntil, Math.min(left, MAX_TIMER_MS));
    };
    endAtUntil();
    // A HEAD answer has no body: it ends with its headers.
    if (request.method === 'HEAD') sub.end();
    const body = Readable.from(lines(sub), { highWaterMark: 1 });
    // Destroying the body (the client went away) cannot interrupt a pending read: close directly.
    body.once('close', () => {
      clearTimeout(timer);
      sub.close();
    });
    return reply.header('Content-Type', 'application/json').send(body);
  });
}

async function* lines(sub: Subscription): AsyncGenerator<Buffer> {
  // An empty first write sends the headers now, as dockerd flushes them.
  yield Buffer.alloc(0);
  for (let batch = await sub.next(); batch; batch = await sub.next()) yield Buffer.from(batch.join(''));
}
