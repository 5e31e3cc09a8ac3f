// The simulated agents of dispatch.ts, in a worker thread (so on the other core, as agents are
// on other machines). Each holds a session the way a real agent does: a WebSocket over TLS with
// its node certificate, hello, heartbeats every period; it parses everything the manager sends.
// The main thread names a service and how many of its tasks to expect; the worker says when all
// have arrived, and can hand back the frames that carried them. For the replay, agents connect
// to a server that sends each its captured frames again, over TLS or plain.

import { parentPort } from 'node:worker_threads';
import WebSocket, { type ClientOptions } from 'ws';
import type { ManagerMessage } from '../src/types/index.js';

export interface AgentCreds {
  cert: string;
  key: string;
}

export type ToAgents =
  | { type: 'connect'; url: string; agents: AgentCreds[]; ca: string; servername: string }
  | { type: 'expect'; service: string; count: number; capture: boolean }
  | { type: 'replay'; url: string; tls: boolean; frames: number[] }
  | { type: 'close' };

export type FromAgents =
  | { type: 'connected' }
  | { type: 'expecting' }
  | { type: 'received'; at: number; frames?: string[][]; bytes: number; messages: number }
  | { type: 'replayed'; at: number };

/** A time both threads can compare (performance.now() counts from each thread's own start). */
const now = (): number => performance.timeOrigin + performance.now();
const post = (msg: FromAgents): void => parentPort!.postMessage(msg);

let sessions: WebSocket[] = [];
let heartbeats: NodeJS.Timeout[] = [];
let expecting: { service: string; count: number; capture: boolean; seen: Set<string>; frames: string[][]; bytes: number; messages: number } | undefined;
let connect: Extract<ToAgents, { type: 'connect' }>;
let closing = false;

function tlsOf(i: number): ClientOptions {
  return { ca: connect.ca, servername: connect.servername, cert: connect.agents[i]!.cert, key: connect.agents[i]!.key } as ClientOptions;
}

function onFrame(i: number, data: WebSocket.RawData): void {
  const text = data.toString();
  const msg = JSON.parse(text) as ManagerMessage;
  if (msg.type === 'welcome') {
    heartbeats.push(setInterval(() => sessions[i]!.send(JSON.stringify({ type: 'heartbeat' })), msg.heartbeatPeriodMs));
    if (heartbeats.length === connect.agents.length) post({ type: 'connected' });
    return;
  }
  const e = expecting;
  if (msg.type !== 'assignments' || !e) return;
  let ours = false;
  for (const t of msg.tasks) {
    if (t.ServiceID !== e.service) continue;
    ours = true;
    e.seen.add(t.ID);
  }
  if (!ours) return;
  e.bytes += text.length;
  e.messages++;
  if (e.capture) e.frames[i]!.push(text);
  if (e.seen.size >= e.count) {
    expecting = undefined;
    post({ type: 'received', at: now(), bytes: e.bytes, messages: e.messages, ...(e.capture ? { frames: e.frames } : {}) });
  }
}

function replay(msg: Extract<ToAgents, { type: 'replay' }>): void {
  let left = msg.frames.reduce((a, n) => a + n, 0);
  const clients = msg.frames.map((_, i) => {
    const ws = new WebSocket(`${msg.url}?agent=${i}`, msg.tls ? tlsOf(i) : {});
    ws.on('message', (data) => {
      JSON.parse(data.toString()); // as an agent would
      if (--left === 0) {
        post({ type: 'replayed', at: now() });
        for (const c of clients) c.close();
      }
    });
    ws.on('error', (err) => {
      throw err;
    });
    return ws;
  });
}

parentPort!.on('message', (msg: ToAgents) => {
  if (msg.type === 'connect') {
    connect = msg;
    sessions = msg.agents.map((_, i) => {
      const ws = new WebSocket(msg.url, tlsOf(i));
      ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', description: { Hostname: `sim${i}`, Platform: { OS: 'linux', Architecture: 'x86_64' }, Resources: { NanoCPUs: 8e9, MemoryBytes: 32 * 2 ** 30 } } })));
      ws.on('message', (data) => onFrame(i, data));
      ws.on('close', (code, reason) => {
        if (!closing) throw new Error(`agent ${i}: session closed (${code} ${reason.toString()})`);
      });
      return ws;
    });
  } else if (msg.type === 'expect') {
    expecting = { ...msg, seen: new Set(), frames: connect.agents.map(() => []), bytes: 0, messages: 0 };
    post({ type: 'expecting' });
  } else if (msg.type === 'replay') {
    replay(msg);
  } else {
    closing = true;
    heartbeats.forEach(clearInterval);
    heartbeats = [];
    for (const ws of sessions) ws.terminate();
    parentPort!.close();
  }
});
