// One network's DNS server: UDP and TCP on its gateway address. It knows nothing of names; it
// drops what comes from outside the network before reading it, bounds TCP (connections, their
// life, their idle time, one query at a time each) and hands each message to the resolver.

import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { MAX_QUERY_BYTES } from './wire.js';

export interface QueryHandler {
  /** Whether a source may be answered at all (an address of the network's subnet). */
  accepts(source: string): boolean;
  /** The answer to send, or undefined to send nothing. */
  answer(msg: Buffer, source: string, tcp: boolean): Promise<Buffer | undefined>;
}

/** Per network: TCP is the fallback for truncated answers, a handful of clients at a time. */
export const MAX_TCP_CONNECTIONS = 32;
/** RFC 7766 suggests idle timeouts of seconds. */
export const TCP_IDLE_MS = 5_000;
const TCP_LIFETIME_MS = 30_000;

export class Listener {
  private closed = false;
  private readonly connections = new Set<Socket>();

  private constructor(
    readonly address: string,
    private readonly udp: UdpSocket,
    private readonly tcp: Server,
  ) {}

  /** open binds both sockets or neither: it rejects with the bind error (EADDRNOTAVAIL until the bridge has the address). */
  static async open(address: string, port: number, handler: QueryHandler, onError: (err: Error) => void): Promise<Listener> {
    const udp = createSocket('udp4');
    const tcp = createServer();
    try {
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(port, address, () => resolve());
      });
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(port, address, () => resolve());
      });
    } catch (err) {
      udp.removeAllListeners('error');
      udp.on('error', () => undefined);
      udp.close();
      tcp.close();
      throw err;
    }
    udp.removeAllListeners('error');
    tcp.removeAllListeners('error');
    const listener = new Listener(address, udp, tcp);
    listener.serve(handler, onError);
    return listener;
  }

  private serve(handler: QueryHandler, onError: (err: Error) => void): void {
    this.udp.on('error', onError);
    this.tcp.on('error', onError);
    this.tcp.maxConnections = MAX_TCP_CONNECTIONS;
    this.tcp.on('connection', (socket: Socket) => serveTcp(socket, handler, this.connections));
    this.udp.on('message', (msg, rinfo) => {
      if (rinfo.port === 0 || !handler.accepts(rinfo.address)) return;
      handler.answer(msg, rinfo.address, false).then((answer) => {
        // A lost answer is the client's to retry, like a lost query; not worth a log line per packet.
        if (answer && !this.closed) this.udp.send(answer, rinfo.port, rinfo.address, () => undefined);
      }, onError);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const socket of this.connections) socket.destroy();
    await Promise.all([
      new Promise<void>((resolve) => this.udp.close(() => resolve())),
      new Promise<void>((resolve) => this.tcp.close(() => resolve())),
    ]);
  }
}

/** Length-prefixed messages (RFC 1035 4.2.2), answered in order, reading paused while one is under way. */
function serveTcp(socket: Socket, handler: QueryHandler, connections: Set<Socket>): void {
  const source = socket.remoteAddress ?? '';
  if (!handler.accepts(source)) {
    socket.destroy();
    return;
  }
  connections.add(socket);
  const lifetime = setTimeout(() => socket.destroy(), TCP_LIFETIME_MS);
  socket.on('close', () => {
    connections.delete(socket);
    clearTimeout(lifetime);
  });
  socket.on('error', () => socket.destroy());
  socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
  let pending: Buffer = Buffer.alloc(0);
  let busy = false;
  const next = (): void => {
    if (busy || socket.destroyed || pending.length < 2) return;
    const size = pending.readUInt16BE(0);
    if (size > MAX_QUERY_BYTES) {
      socket.destroy();
      return;
    }
    if (pending.length < 2 + size) return;
    const msg = pending.subarray(2, 2 + size);
    pending = pending.subarray(2 + size);
    busy = true;
    socket.pause();
    handler.answer(msg, source, true).then(
      (answer) => {
        busy = false;
        // Nothing to answer is a message we drop: over TCP, the connection goes with it.
        if (!answer) socket.destroy();
        if (!answer || socket.destroyed) return;
        const length = Buffer.alloc(2);
        length.writeUInt16BE(answer.length);
        socket.write(Buffer.concat([length, answer]));
        socket.resume();
        next();
      },
      () => socket.destroy(),
    );
  };
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    // Paused while busy, so at most one read's worth waits beyond the message being answered.
    if (pending.length > 2 + MAX_QUERY_BYTES + 65536) socket.destroy();
    else next();
  });
}
