// DNS messages as the resolver reads and writes them. Queries are checked before anything is
// done for them: one question, nothing else but an OPT record, small — anything else is dropped
// unanswered (no work, no reflection). Answers are written by hand: the question is echoed byte
// for byte (clients match it, case included: 0x20 randomisation) and answer names point to it
// (compression), so a 512-byte UDP answer holds 30 task addresses instead of about a dozen.

import dnsPacket from 'dns-packet';
import type { Lookup } from './records.js';
import { STABLE_TTL } from './records.js';

/** A query is one question and an OPT record at most: a name is at most 255 bytes, a generous OPT fits in the rest. */
export const MAX_QUERY_BYTES = 1024;
const UDP_MIN = 512;
/** Beyond this an EDNS buffer size only invites fragmentation (DNS flag day 2020 picked 1232). */
const UDP_MAX = 4096;
const TCP_MAX = 65535;
const HEADER = 12;
const A_RECORD = 16;

const NOERROR = 0;
const SERVFAIL = 2;
const NXDOMAIN = 3;

export interface Query {
  id: number;
  /** Recursion desired, echoed. */
  rd: boolean;
  name: string;
  type: string;
  /** The question section as received. */
  question: Buffer;
  /** Largest UDP answer the client takes. */
  udpSize: number;
}

/** parseQuery returns the query, or undefined for anything we do not answer (dropped). */
export function parseQuery(msg: Buffer): Query | undefined {
  if (msg.length < HEADER || msg.length > MAX_QUERY_BYTES) return undefined;
  const flags = msg.readUInt16BE(2);
  const opcode = (flags >> 11) & 0xf;
  // A response (QR) is never answered: two resolvers must not be able to bounce off each other.
  if (flags & 0x8000 || opcode !== 0) return undefined;
  if (msg.readUInt16BE(4) !== 1 || msg.readUInt16BE(6) !== 0 || msg.readUInt16BE(8) !== 0 || msg.readUInt16BE(10) > 1) return undefined;
  const end = questionEnd(msg);
  if (end === undefined) return undefined;
  let packet: dnsPacket.DecodedPacket;
  try {
    packet = dnsPacket.decode(msg);
  } catch {
    return undefined;
  }
  const q = packet.questions?.[0];
  if (!q) return undefined;
  let udpSize = UDP_MIN;
  const opt = packet.additionals?.[0];
  if (opt) {
    if (opt.type !== 'OPT') return undefined;
    udpSize = Math.min(UDP_MAX, Math.max(UDP_MIN, opt.udpPayloadSize));
  }
  return { id: packet.id ?? 0, rd: (flags & 0x0100) !== 0, name: q.name, type: q.type, question: msg.subarray(HEADER, end), udpSize };
}

/** The end of the question: plain labels only (a pointer in a question points at nothing before it). */
function questionEnd(msg: Buffer): number | undefined {
  let offset = HEADER;
  for (;;) {
    const len = msg[offset];
    if (len === undefined || len > 63) return undefined;
    offset += 1 + len;
    if (len === 0) break;
  }
  return offset + 4 <= msg.length ? offset + 4 : undefined;
}

/** The answer to a name we own. A known name with nothing of the asked type is NOERROR and empty, so clients try A after AAAA. */
export function localAnswer(q: Query, found: Lookup, tcp: boolean): Buffer {
  if (found.kind === 'nxdomain') return message(q, NXDOMAIN, [], 0, false);
  if (found.kind === 'pointer') {
    if (q.type !== 'PTR') return message(q, NOERROR, [], 0, false);
    return message(q, NOERROR, [record(12, STABLE_TTL, encodeName(found.target))], 1, false);
  }
  const { record: r } = found;
  if (q.type !== 'A') return message(q, NOERROR, [], 0, false);
  const ips = r.shuffle ? shuffled(r.ips) : r.ips;
  const max = tcp ? TCP_MAX : q.udpSize;
  const fits = Math.floor((max - HEADER - q.question.length) / A_RECORD);
  const sent = ips.slice(0, Math.max(0, fits));
  const answers = sent.map((ip) => record(1, r.ttl, Buffer.from(ip.split('.').map(Number))));
  // Over UDP a cut list says so (TC) and the client asks again over TCP, as with Docker.
  return message(q, NOERROR, answers, answers.length, !tcp && sent.length < ips.length);
}

export function serverFailure(q: Query): Buffer {
  return message(q, SERVFAIL, [], 0, false);
}

function message(q: Query, rcode: number, answers: Buffer[], count: number, truncated: boolean): Buffer {
  const header = Buffer.alloc(HEADER);
  header.writeUInt16BE(q.id, 0);
  // QR, RD as asked, RA (we recurse through the host's nameservers, as Docker's resolver says), TC, RCODE.
  header.writeUInt16BE(0x8000 | (q.rd ? 0x0100 : 0) | 0x0080 | (truncated ? 0x0200 : 0) | rcode, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(count, 6);
  return Buffer.concat([header, q.question, ...answers]);
}

/** A resource record named by a pointer to the question's name (offset 12), class IN. */
function record(type: number, ttl: number, data: Buffer): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt16BE(0xc00c, 0);
  head.writeUInt16BE(type, 2);
  head.writeUInt16BE(1, 4);
  head.writeUInt32BE(ttl, 6);
  head.writeUInt16BE(data.length, 10);
  return Buffer.concat([head, data]);
}

/** Our own names (task and network names: letters, digits, `-`, `_`, `.`) in wire form. */
function encodeName(name: string): Buffer {
  const labels = name.split('.').filter((l) => l.length > 0).map((l) => Buffer.from(l, 'latin1'));
  return Buffer.concat([...labels.flatMap((l) => [Buffer.from([l.length]), l]), Buffer.from([0])]);
}

function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
