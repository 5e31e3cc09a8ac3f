// A WebSocket served by an API route: routeUpgrades hands the handshake to the routes like any
// request, so access, team scope, forwarding and the audit log apply to it; the route's own 101
// answer is the handshake's, and ws speaks the protocol on the socket once it has gone out.

import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { WebSocket } from 'ws';
import { InvalidArgumentError } from '../../types/index.js';
import { isUpgrade } from './upgrade.js';

/** RFC 6455 4.2.2: the accept key is the client's key and this GUID, hashed. */
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** 16 random bytes in base64. */
const KEY = /^[+/0-9A-Za-z]{21}[AQgw]==$/;

/** How long a closing side waits for the peer's close frame before it drops the connection (ws's default). */
const CLOSE_TIMEOUT_MS = 30_000;

// ws (8.x) has no public call for a handshake answered elsewhere: this is how its WebSocketServer
// makes the server side of a connection it has answered (completeUpgrade), with its defaults.
interface ServerSocket {
  setSocket(socket: Socket, head: Buffer, opts: { allowSynchronousEvents: boolean; maxPayload: number }): void;
}
type ServerSide = new (address: null, protocols: undefined, opts: { autoPong: boolean; closeTimeout: number }) => WebSocket & ServerSocket;

/** offeredProtocols: the subprotocols a WebSocket handshake offers, in order. */
export function offeredProtocols(request: FastifyRequest): string[] {
  return String(request.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
}

/** webSocketKey checks that the request opens a WebSocket that speaks `protocol`, and gives its key. */
export function webSocketKey(request: FastifyRequest, protocol: string): string {
  if (!isUpgrade(request.raw) || String(request.headers.upgrade).toLowerCase() !== 'websocket') {
    throw new InvalidArgumentError(`${request.routeOptions.url ?? request.url} is a WebSocket: open it with Upgrade: websocket and the subprotocol ${protocol}`);
  }
  const key = request.headers['sec-websocket-key'];
  if (typeof key !== 'string' || !KEY.test(key)) throw new InvalidArgumentError('Sec-WebSocket-Key must be 16 random bytes in base64 (RFC 6455)');
  if (request.headers['sec-websocket-version'] !== '13') throw new InvalidArgumentError('Sec-WebSocket-Version must be 13 (RFC 6455)');
  if (!offeredProtocols(request).includes(protocol)) throw new InvalidArgumentError(`offer the subprotocol ${protocol} (Sec-WebSocket-Protocol)`);
  return key;
}

/**
 * acceptWebSocket answers the handshake (101, the chosen subprotocol) and calls `opened` with the
 * WebSocket once the answer has gone out, or with undefined when something else went out instead.
 */
export function acceptWebSocket(request: FastifyRequest, reply: FastifyReply, key: string, protocol: string, maxPayload: number, opened: (ws: WebSocket | undefined) => void): FastifyReply {
  const socket = request.raw.socket as Socket;
  reply.raw.once('finish', () => {
    if (reply.statusCode !== 101) return opened(undefined);
    const ws = new (WebSocket as unknown as ServerSide)(null, undefined, { autoPong: true, closeTimeout: CLOSE_TIMEOUT_MS });
    ws.setSocket(socket, Buffer.alloc(0), { allowSynchronousEvents: true, maxPayload });
    opened(ws);
  });
  const accept = createHash('sha1').update(key + GUID).digest('base64');
  return reply.code(101).headers({ Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Accept': accept, 'Sec-WebSocket-Protocol': protocol }).send();
}
