// Request decoding shared by the routes: the JSON body parser and query parameters.

import type { FastifyInstance } from 'fastify';
import { InvalidArgumentError } from '../types/index.js';

export const BODY_LIMIT = 10 * 1024 * 1024;

/** Route types for /{kind}/{id}...: the path names an object, the query holds flags. */
export interface ById {
  Params: { id: string };
  Querystring: Record<string, string | undefined>;
}

/**
 * installJsonParser parses every body as JSON, whatever the Content-Type says or when it is
 * missing (the CLI always sends application/json; other clients are less careful).
 */
export function installJsonParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    const text = (body as string).trim();
    if (text === '') return done(null, undefined);
    try {
      // Dropping __proto__ keys keeps a body from reaching object prototypes later.
      done(null, JSON.parse(text, (key, value: unknown) => (key === '__proto__' ? undefined : value)));
    } catch (err) {
      done(new InvalidArgumentError(`invalid JSON in request body: ${(err as Error).message}`), undefined);
    }
  });
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
