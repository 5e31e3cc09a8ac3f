// Two byte streams joined both ways, half-closes included (a hijacked `docker exec`: the client's
// connection and the exec's stream, or a follower's client and the leader's connection).

import type { Duplex } from 'node:stream';

/** joinStreams pipes each into the other; either going away ends the other. `client`'s end of writing waits for the other's output. */
export function joinStreams(client: Duplex, other: Duplex): void {
  client.pipe(other);
  other.pipe(client);
  client.once('close', () => other.destroy());
  other.once('close', () => void (client.writableEnded || client.destroy()));
  client.on('error', () => other.destroy());
  other.on('error', () => client.destroy());
}
