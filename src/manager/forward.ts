// A follower serves reads from its own copy of the store and sends the leader what only the
// leader can do — every change, and the logs its agents stream to it — as Swarm's followers
// proxy to theirs. The request goes on as it came (method, path, headers, body streamed), over
// TLS with this manager's own certificate, which the leader's API takes from a manager; the
// answer comes back as the leader gave it. The client never learns it spoke to a follower.

import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { joinStreams } from '../common/join-streams.js';
import type { Logger } from '../common/log.js';
import { isUpgrade, STORE_INDEX_HEADER } from '../api/index.js';

/** Swarm's answer when a manager knows no leader (an election is running, or quorum is lost). */
export const NO_LEADER = "The swarm does not have a leader. It's possible that too few managers are online. Make sure more than half of the managers are online.";

/**
 * Logs come from the dispatcher's log broker, and containers and execs from its container broker,
 * which live where the agents' sessions are: on the leader.
 */
const LEADER_READS = /^(?:\/v[\d.]+)?\/(?:(?:services|tasks)\/[^/]+\/logs(?:\?|$)|containers\/|exec\/|berth\/v1\/exec\/)/;
/** Hop-by-hop headers (RFC 9110 7.6.1) stay on their own hop. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host'];

export interface ForwardOptions {
  /** The leader's API URL; undefined when this manager leads, null when no leader is known. */
  leader: () => string | null | undefined;
  /** This manager's certificate and key (a manager's), and the cluster's roots to verify the leader with. */
  tls: () => { key?: string; cert?: string; ca: string };
  /** Plain HTTP to the leader is allowed only when this manager's own API is plain (--insecure-api, loopback). */
  plain: boolean;
  /** Headers added to what is sent on (who the client is, for the leader's audit log). */
  headers?: (request: FastifyRequest) => Record<string, string>;
  /** Resolves once this manager's copy holds the commit `index` (or gives up waiting): read-your-writes through a follower. */
  caughtUp: (index: number) => Promise<void>;
  log: Logger;
}

/** The OIDC callback is a GET that writes (the user, the session). */
const LEADER_GETS = /^\/berth\/v1\/oidc\/callback(?:\?|$)/;

export function needsLeader(request: FastifyRequest): boolean {
  return !['GET', 'HEAD', 'OPTIONS'].includes(request.method) || LEADER_READS.test(request.url) || LEADER_GETS.test(request.url);
}

export function forwardToLeader(app: FastifyInstance, opts: ForwardOptions): void {
  app.addHook('onRequest', (request, reply, done) => {
    const target = needsLeader(request) ? opts.leader() : undefined;
    if (target === undefined) return done();
    if (target === null) {
      void reply.code(503).send({ message: NO_LEADER });
      return;
    }
    const url = new URL(request.raw.url ?? '/', target);
    // The leader's address comes from etcd: never send a client's request (secrets included) in the clear unless all is plain.
    if (url.protocol !== 'https:' && !opts.plain) {
      void reply.code(503).send({ message: `the leader's API (${url.origin}) does not speak TLS: start every manager with TLS, or every one with --insecure-api` });
      return;
    }
    reply.hijack();
    const headers = { ...request.raw.headers, ...opts.headers?.(request) };
    for (const h of HOP_BY_HOP) delete headers[h];
    // An exec start that takes its connection over (hijacked, or a WebSocket): the leader's connection is taken over too.
    const upgrade = isUpgrade(request.raw);
    if (upgrade) Object.assign(headers, { connection: 'Upgrade', upgrade: request.headers.upgrade });
    // The page's Origin was checked here against the Host the browser used; the leader's Host is its own.
    if (upgrade) delete headers.origin;
    // Plain HTTP only between managers that all run --insecure-api (loopback trials).
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
    const upstream = send(url, { method: request.method, headers, ...(url.protocol === 'https:' && opts.tls()) }, (res) => {
      const answer = { ...res.headers };
      for (const h of [...HOP_BY_HOP, STORE_INDEX_HEADER]) delete answer[h];
      // The client's next read may come here (the CLI inspects what it just created): answer once this copy has the change.
      const index = Number(res.headers[STORE_INDEX_HEADER]);
      void (Number.isSafeInteger(index) && index > 0 ? opts.caughtUp(index) : Promise.resolve()).then(() => {
        reply.raw.writeHead(res.statusCode ?? 502, answer);
        res.pipe(reply.raw);
      });
    });
    if (upgrade) upstream.on('upgrade', (res, leader, head) => splice(request.raw.socket as Socket, res, leader, head));
    upstream.on('error', (err) => {
      opts.log.warn({ err: err.message, leader: target, url: request.url }, 'the leader did not take a forwarded request');
      if (reply.raw.headersSent) return void reply.raw.destroy();
      reply.raw.writeHead(503, { 'content-type': 'application/json' });
      reply.raw.end(JSON.stringify({ message: `the leader at ${url.host} did not answer (${err.message}): retry in a moment` }));
    });
    // A client that goes away (a followed log stream) ends the leader's side too.
    if (!upgrade) reply.raw.on('close', () => upstream.destroy());
    request.raw.pipe(upstream);
  });
}

/** splice hands the leader's 101 to the client and joins the two connections, half-closes included. */
function splice(client: Socket, res: IncomingMessage, leader: Socket, head: Buffer): void {
  const lines = [`HTTP/1.1 101 ${res.statusMessage ?? 'UPGRADED'}`];
  for (let i = 0; i < res.rawHeaders.length; i += 2) lines.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
  client.write(`${lines.join('\r\n')}\r\n\r\n`);
  if (head.length > 0) client.write(head);
  joinStreams(client, leader);
}
