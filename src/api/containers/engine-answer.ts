// What the API makes of a node engine's answer: the body of a success, or Docker's error for a
// failure, in the client's own words for a missing object (`No such container: <what it typed>`).

import type { ServerResponse } from 'node:http';
import { Readable, type Duplex } from 'node:stream';
import { ConflictError, EngineRefusal, InvalidArgumentError, NotFoundError, UnavailableError } from '../../types/index.js';
import type { CallResult, ContainerPlace } from '../../types/index.js';

export function engineAnswer(r: CallResult, missing: string, place: Pick<ContainerPlace, 'node'>): unknown {
  if (r.status >= 200 && r.status < 300) return r.body;
  throw engineError(r, missing, place);
}

export function engineError(r: CallResult, missing: string, place: Pick<ContainerPlace, 'node'>): Error {
  const message = r.message ?? `the engine answered ${r.status}`;
  if (r.status === 404) return new NotFoundError(missing);
  if (r.status === 409 || r.status === 304) return new ConflictError(message);
  if (r.status === 400) return new InvalidArgumentError(message);
  return new UnavailableError(`the engine of node ${place.node} failed: ${message}`);
}

/** opened gives a stream, or the engine's refusal of it as Docker's error. */
export async function opened(stream: Promise<Duplex>, missing: string, place: Pick<ContainerPlace, 'node'>): Promise<Duplex> {
  try {
    return await stream;
  } catch (err) {
    throw err instanceof EngineRefusal ? engineError(err.result, missing, place) : err;
  }
}

/**
 * relay is a response body carrying a node's stream: its headers go out at once (an empty first
 * write, as the engine does), and the client going away ends the stream, and the engine's with it.
 */
export function relay(stream: Duplex, res: ServerResponse): Readable {
  // The response closes as soon as the client goes, even while the stream is quiet (a followed log
  // with nothing new): the body's own close would wait for the stream's next chunk.
  res.once('close', () => stream.destroy());
  return Readable.from(
    (async function* () {
      yield Buffer.alloc(0);
      for await (const chunk of stream) yield chunk as Buffer;
    })(),
    { highWaterMark: 1 },
  );
}
