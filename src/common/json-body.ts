// JSON request bodies for Berth's HTTP edges (the Engine API and the registry's admin API):
// parsed with a depth limit and without prototype keys, and, when large, one per turn of the
// event loop, so that a burst of large bodies cannot hold up every other request.

import type { IncomingMessage } from 'node:http';
import { InvalidArgumentError } from '../types/index.js';

/** Far deeper than any body Berth reads (a ServiceSpec nests about 8 levels), far shallower than the stack. */
export const MAX_JSON_DEPTH = 64;

/**
 * Bodies up to this size are parsed at once; larger ones wait for their turn (decodeJsonBody).
 * 64 KiB of the costliest JSON to parse (an array of empty objects) takes about a millisecond.
 */
const TURN_BYTES = 64 * 1024;

/**
 * A "__proto__" key, or a JSON escape that could spell one of its letters (_ o p r t). Only a
 * body that matches needs the slower parse that drops such keys.
 */
const MAYBE_PROTO = /__proto__|\\u00(?:5[fF]|6[fF]|7[024])/;

export type BodyDone = (err: Error | null, body: unknown) => void;

/**
 * decodeJsonBody parses a request body and hands the result (or an InvalidArgumentError) to
 * `done`. A large body waits for its turn: the event loop serves other connections in between.
 */
export function decodeJsonBody(text: string, done: BodyDone): void {
  const decode = (): void => {
    let body: unknown;
    try {
      body = parseJsonBody(text);
    } catch (err) {
      return done(err as Error, undefined);
    }
    done(null, body);
  };
  if (text.length > TURN_BYTES) inTurn(decode);
  else decode();
}

/**
 * parseJsonBody parses JSON text; an empty body is undefined. `__proto__` keys are dropped, so no
 * later copy of the body can reach an object prototype.
 */
export function parseJsonBody(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  // Parsing and every later walk of the body recurse: a deeper body would overflow the stack.
  if (nestedDeeperThan(trimmed, MAX_JSON_DEPTH)) {
    throw new InvalidArgumentError(`request body is nested too deeply: JSON objects and arrays may nest at most ${MAX_JSON_DEPTH} levels`);
  }
  try {
    // A reviver runs for every value and makes parsing several times slower: only when needed.
    return MAYBE_PROTO.test(trimmed) ? JSON.parse(trimmed, (key, value: unknown) => (key === '__proto__' ? undefined : value)) : JSON.parse(trimmed);
  } catch (err) {
    throw new InvalidArgumentError(`invalid JSON in request body: ${(err as Error).message}`);
  }
}

/** nestedDeeperThan says whether objects and arrays nest deeper than `max`, ignoring brackets inside strings. */
function nestedDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash escapes the next character, quote included
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return false;
}

/** "1 MiB", "768 KiB": body limits as messages and docs give them. */
export function formatLimit(bytes: number): string {
  const MiB = 1024 * 1024;
  return bytes % MiB === 0 ? `${bytes / MiB} MiB` : `${Math.ceil(bytes / 1024)} KiB`;
}

/** How much of a refused body is read and dropped before the connection is closed instead. */
const DRAIN_BYTES = 16 * 1024 * 1024;

/**
 * drainRefusedBody reads and drops the rest of a body refused as too large, up to DRAIN_BYTES, and
 * closes the connection past that. The reply must not close the connection itself: closing with
 * unread data makes the kernel reset it, and a client still sending its body may then never read
 * the answer (Go's server drains for the same reason). Nothing is kept, so memory stays bounded.
 */
export function drainRefusedBody(request: IncomingMessage): void {
  if (request.complete) return;
  let left = DRAIN_BYTES;
  request.on('data', (chunk: Buffer) => {
    left -= chunk.length;
    if (left < 0) request.socket.destroy();
  });
  request.resume();
}

const waiting: Array<() => void> = [];

/**
 * inTurn runs jobs in arrival order, one per turn of the event loop: between two, the loop reads
 * sockets and answers whatever arrived meanwhile (a /_ping, an agent's heartbeat), which would
 * otherwise wait behind every large body that completed in the same turn.
 */
function inTurn(job: () => void): void {
  waiting.push(job);
  if (waiting.length === 1) setImmediate(runNext);
}

function runNext(): void {
  const job = waiting.shift();
  try {
    job?.();
  } finally {
    if (waiting.length > 0) setImmediate(runNext);
  }
}
