// Forwarding names we do not own to the host's nameservers, from the agent's own (host) network
// namespace — so a loopback nameserver such as systemd-resolved's 127.0.0.53 works. As moby's
// resolver: at most three servers (resolv.conf's MAXNS), each tried in turn with a 4 s timeout,
// the next one on SERVFAIL or REFUSED; UDP for UDP queries, TCP for TCP ones. Each UDP exchange
// has its own socket (a random source port, and only the server's answer reaches it).

import { readFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { connect, isIP } from 'node:net';

export interface Upstream {
  address: string;
  port: number;
}

const MAX_UPSTREAMS = 3;
export const FORWARD_TIMEOUT_MS = 4000;
/** moby's maxConcurrent is 1024 per container; ours is for the whole node. */
export const MAX_FORWARDS = 512;
const SERVFAIL = 2;
const REFUSED = 5;

/** The host's nameservers, read once: an unreadable file leaves none, and names we do not own fail (SERVFAIL). */
export function readResolvConf(path: string): Upstream[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const servers: Upstream[] = [];
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key === 'nameserver' && value && isIP(value.split('%')[0] ?? '') !== 0) servers.push({ address: value, port: 53 });
  }
  return servers.slice(0, MAX_UPSTREAMS);
}

export class Forwarder {
  private inFlight = 0;
  private readonly open = new Set<{ close(): void }>();

  constructor(
    private readonly upstreams: readonly Upstream[],
    private readonly timeoutMs = FORWARD_TIMEOUT_MS,
    private readonly maxInFlight = MAX_FORWARDS,
  ) {}

  /**
   * forward asks the upstreams in turn; undefined when none answered or too many queries are
   * under way (the caller answers SERVFAIL). `skip` leaves out servers that are ourselves.
   */
  async forward(query: Buffer, tcp: boolean, skip: (u: Upstream) => boolean): Promise<Buffer | undefined> {
    if (this.inFlight >= this.maxInFlight) return undefined;
    this.inFlight++;
    try {
      let last: Buffer | undefined;
      for (const upstream of this.upstreams) {
        if (skip(upstream)) continue;
        const answer = await (tcp ? this.tcpExchange(upstream, query) : this.udpExchange(upstream, query));
        if (!answer) continue;
        last = answer;
        const rcode = (answer[3] ?? 0) & 0xf;
        if (rcode !== SERVFAIL && rcode !== REFUSED) return answer;
      }
      return last;
    } finally {
      this.inFlight--;
    }
  }

  /** close ends every exchange under way (their queries get SERVFAIL). */
  close(): void {
    for (const exchange of this.open) exchange.close();
  }

  private udpExchange(upstream: Upstream, query: Buffer): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const socket = createSocket(isIP(upstream.address.split('%')[0] ?? '') === 6 ? 'udp6' : 'udp4');
      const exchange = { close: () => finish(undefined) };
      const finish = (answer: Buffer | undefined): void => {
        if (!this.open.delete(exchange)) return;
        clearTimeout(timer);
        socket.close();
        resolve(answer);
      };
      this.open.add(exchange);
      const timer = setTimeout(() => finish(undefined), this.timeoutMs);
      socket.on('error', () => finish(undefined));
      socket.on('message', (msg) => {
        if (isAnswerTo(msg, query)) finish(msg);
      });
      socket.connect(upstream.port, upstream.address, () => {
        socket.send(query, (err) => {
          if (err) finish(undefined);
        });
      });
    });
  }

  private tcpExchange(upstream: Upstream, query: Buffer): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const socket = connect({ host: upstream.address, port: upstream.port });
      let received: Buffer = Buffer.alloc(0);
      const exchange = { close: () => finish(undefined) };
      const finish = (answer: Buffer | undefined): void => {
        if (!this.open.delete(exchange)) return;
        clearTimeout(timer);
        socket.destroy();
        resolve(answer);
      };
      this.open.add(exchange);
      // A deadline for the whole exchange, not an idle timeout: a server dripping bytes cannot hold it.
      const timer = setTimeout(() => finish(undefined), this.timeoutMs);
      socket.on('error', () => finish(undefined));
      socket.on('close', () => finish(undefined));
      socket.on('connect', () => {
        const length = Buffer.alloc(2);
        length.writeUInt16BE(query.length);
        socket.write(Buffer.concat([length, query]));
      });
      socket.on('data', (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        if (received.length < 2) return;
        const size = received.readUInt16BE(0);
        if (received.length < 2 + size) return;
        const msg = received.subarray(2, 2 + size);
        finish(isAnswerTo(msg, query) ? msg : undefined);
      });
    });
  }
}

/** An answer carries the query's ID and the QR bit. */
function isAnswerTo(msg: Buffer, query: Buffer): boolean {
  return msg.length >= 12 && msg.readUInt16BE(0) === query.readUInt16BE(0) && (msg[2] ?? 0) >= 0x80;
}
