// Requests that ask to take over their connection (`Connection: Upgrade`, `Upgrade: tcp`: the
// docker CLI's hijack for `docker exec`) run through the API's routes and hooks like any other
// request — access, audit, forwarding — on a connection Node's HTTP parser no longer reads. The
// body (a small JSON object) is read here first; whatever the client sends after it stays in the
// socket for the route that answers 101 and carries the stream. An answer other than 101 ends
// the connection. A WebSocket (GET /berth/v1/exec/{id}/start) comes the same way.

import { IncomingMessage, ServerResponse, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** The largest body an upgrading request may carry (exec start's is a few bytes). */
const MAX_BODY = 64 * 1024;
const BODY_TIMEOUT_MS = 10_000;

const upgrading = new WeakSet<IncomingMessage>();

/** isUpgrade: the request came with `Upgrade` and its connection is the route's to take (answer 101). */
export function isUpgrade(req: IncomingMessage): boolean {
  return upgrading.has(req);
}

export function routeUpgrades(server: Server, handle: (req: IncomingMessage, res: ServerResponse) => void): void {
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Another protocol (a WebSocket) is another listener's, if the server has one.
    if (String(req.headers.upgrade).toLowerCase() !== 'tcp' && server.listenerCount('upgrade') > 1) return;
    socket.on('error', () => socket.destroy());
    // A browser names the page that opens a WebSocket: a page of another site must not drive the
    // API with the user's session (cross-site WebSocket hijacking). Clients that are not browsers name none.
    const origin = foreignOrigin(req);
    if (origin !== undefined) return refuse(socket, 403, 'Forbidden', `a WebSocket from a page of ${origin.slice(0, 255)} is refused: only pages served from this address (${String(req.headers.host ?? '').slice(0, 255)}) may open one`);
    // The client half-closes when its stdin ends (docker exec without -i at once); the output must
    // still flow back. An https server's sockets would end their side too (a plain one's do not).
    (socket as Socket).allowHalfOpen = true;
    if (head.length > 0) socket.unshift(head);
    const length = Number(req.headers['content-length'] ?? 0);
    if (req.headers['transfer-encoding'] !== undefined || !Number.isSafeInteger(length) || length < 0 || length > MAX_BODY) {
      return refuse(socket, 400, 'Bad Request', `an upgrading request carries at most ${MAX_BODY} bytes of body, with a Content-Length`);
    }
    readExactly(socket, length).then(
      (body) => {
        // Node has ended the upgrade's request without its body: the routes get one that has it.
        const request = withBody(req, socket as Socket, body);
        upgrading.add(request);
        const res = new ServerResponse(request);
        res.assignSocket(socket as Socket);
        res.shouldKeepAlive = false;
        res.on('finish', () => {
          res.detachSocket(socket as Socket);
          if (res.statusCode !== 101) socket.end();
        });
        handle(request, res);
      },
      () => socket.destroy(),
    );
  });
}

/** foreignOrigin: the request's Origin when it is not the address the request was sent to (same host and port). */
function foreignOrigin(req: IncomingMessage): string | undefined {
  const origin = req.headers.origin;
  if (origin === undefined) return undefined;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    // "null" (a sandboxed frame, a file) or garbage: no page of this address.
    return origin;
  }
  return host === String(req.headers.host ?? '').toLowerCase() ? undefined : origin;
}

function refuse(socket: Duplex, status: number, text: string, message: string): void {
  const body = JSON.stringify({ message });
  socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

function withBody(req: IncomingMessage, socket: Socket, body: Buffer): IncomingMessage {
  const request = new IncomingMessage(socket);
  Object.assign(request, {
    method: req.method,
    url: req.url,
    headers: req.headers,
    rawHeaders: req.rawHeaders,
    httpVersion: req.httpVersion,
    httpVersionMajor: req.httpVersionMajor,
    httpVersionMinor: req.httpVersionMinor,
    // Complete: once read, the request ends without taking the socket with it.
    complete: true,
    // The socket is the route's: nothing here reads from it.
    _read: () => undefined,
  });
  if (body.length > 0) request.push(body);
  request.push(null);
  return request;
}

/** readExactly takes `length` bytes from the socket and leaves what follows in it. */
function readExactly(socket: Duplex, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let got = 0;
    const timer = setTimeout(() => finish(new Error('body timeout')), BODY_TIMEOUT_MS);
    const finish = (err?: Error): void => {
      clearTimeout(timer);
      socket.off('readable', onReadable);
      socket.off('end', onEnd);
      if (err) reject(err);
      else resolve(Buffer.concat(parts));
    };
    const onEnd = (): void => finish(new Error('connection ended'));
    const onReadable = (): void => {
      let chunk: Buffer | null;
      while (got < length && (chunk = socket.read() as Buffer | null) !== null) {
        const need = length - got;
        if (chunk.length > need) {
          socket.unshift(chunk.subarray(need));
          chunk = chunk.subarray(0, need);
        }
        parts.push(chunk);
        got += chunk.length;
      }
      if (got >= length) finish();
    };
    if (length === 0) return finish();
    socket.on('readable', onReadable);
    socket.on('end', onEnd);
    onReadable();
  });
}
