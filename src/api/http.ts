// Request decoding shared by the routes: the JSON body parser and query parameters.

import type { FastifyInstance } from 'fastify';
import { InvalidArgumentError } from '../types/index.js';

export const BODY_LIMIT = 10 * 1024 * 1024;
/** Far deeper than any Engine API body (a ServiceSpec nests about 8 levels), far shallower than the stack. */
export const MAX_JSON_DEPTH = 64;

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
    // Parsing and every later walk of the body recurse: a deeper body would overflow the stack.
    if (nestingDepth(text) > MAX_JSON_DEPTH) {
      return done(new InvalidArgumentError(`request body is nested too deeply: JSON objects and arrays may nest at most ${MAX_JSON_DEPTH} levels`), undefined);
    }
    try {
      // Dropping __proto__ keys keeps a body from reaching object prototypes later.
      done(null, JSON.parse(text, (key, value: unknown) => (key === '__proto__' ? undefined : value)));
    } catch (err) {
      done(new InvalidArgumentError(`invalid JSON in request body: ${(err as Error).message}`), undefined);
    }
  });
}

/** nestingDepth gives the deepest nesting of objects and arrays in a JSON text, ignoring brackets inside strings. */
function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash escapes the next character, quote included
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      deepest = Math.max(deepest, ++depth);
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return deepest;
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
