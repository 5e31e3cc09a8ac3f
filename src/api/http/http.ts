// Request decoding shared by the routes: the JSON body parser and query parameters.

import type { FastifyInstance } from 'fastify';
import { decodeJsonBody } from '../../common/json-body.js';
import { InvalidArgumentError } from '../../types/index.js';

/**
 * The most a JSON spec body may weigh (services, nodes, networks, the swarm, registry logins), the
 * limit of every route that sets none. Real specs are a few KiB, a large ServiceSpec tens of KiB;
 * Swarm could not store an object of more than 1.5 MiB anyway (swarmkit's raft
 * MaxTransactionBytes). 1 MiB takes any real spec and keeps one body to milliseconds of work.
 * Secrets and configs carry their payload and set their own (validate-data-object.ts).
 */
export const SPEC_BODY_LIMIT = 1024 * 1024;

/**
 * How long a client may take to send a request's headers, and the whole request (checked every
 * few seconds). Every API request is small, the largest a 1.5 MiB config: a client that dribbles
 * one byte at a time must not hold its connection and buffer for ever. The streams the API keeps
 * open on purpose are not requests still arriving: a log follow is the answer to a request read
 * long before, and the dispatcher's WebSocket leaves HTTP at its upgrade.
 */
export const SERVER_TIMEOUTS = { headersTimeout: 20_000, requestTimeout: 60_000, connectionsCheckingInterval: 5_000 };

/** Route types for /{kind}/{id}...: the path names an object, the query holds flags. */
export interface ById {
  Params: { id: string };
  Querystring: Record<string, string | undefined>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The error for a body over the route's limit, where the route has its own words for it. */
    bodyTooLarge?: (limit: number) => Error;
  }
}

/**
 * installJsonParser parses every body as JSON, whatever the Content-Type says or when it is
 * missing (the CLI always sends application/json; other clients are less careful).
 */
export function installJsonParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => decodeJsonBody(body as string, done));
}

/** boolParam reads a query flag as the Engine does: absent, "", 0, no, false and none are false. */
export function boolParam(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  return !['', '0', 'no', 'false', 'none'].includes(value.trim().toLowerCase());
}

/** versionParam reads the required ?version= of an update (the object's Version.Index). */
export function versionParam(value: unknown, kind: string): number {
  if (typeof value !== 'string' || value === '') {
    throw new InvalidArgumentError(`missing version: send ?version= with the ${kind}'s current Version.Index, from inspecting it`);
  }
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError(`invalid ${kind} version '${value}': it must be a non-negative integer (the Version.Index from inspecting the ${kind})`);
  }
  return Number(value);
}
