// Who is calling, resolved once per request: the unix socket is root's (only root may open it),
// an --insecure-api port anyone's; over TLS, a live client certificate — acting for the user it
// was issued to, or with its own role when it names no user (a machine's, such as CI's) — or
// else a bearer token or session. A manager's certificate is a follower passing a request on:
// the caller it names in a header is believed from a manager only.

import type { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';
import { OU_CLIENT, OU_MANAGER } from '../common/pki.js';
import { peerIdentity, remoteIp } from '../common/peer.js';
import { isPlainLoopback } from '../common/plain-http.js';
import type { Store } from '../store/index.js';
import { UnauthorizedError, type AuthMethod, type Caller, type ClientCertificate, type ClusterRole, type TeamGrant } from '../types/index.js';
import { userCaller } from '../users/caller.js';
import { findToken } from '../users/tokens.js';

export const FORWARDED_CALLER_HEADER = 'berth-forwarded-caller';

/** A caller and the address they came from (through a follower: the client's, not the follower's). */
export interface RequestCaller extends Caller {
  Source: string;
}

export interface CallerSources {
  store: Store;
  /** The record of the client certificate with this serial, revoked or not. */
  certificate(serial: string): ClientCertificate | undefined;
}

export interface Callers {
  /** callerOf resolves (once per request) who is calling, or throws UnauthorizedError. */
  callerOf(request: FastifyRequest): RequestCaller;
  /** forwardedCaller is the header a follower adds to a request it sends to the leader. */
  forwardedCaller(request: FastifyRequest): string;
}

const ROOT = (): RequestCaller => ({ User: 'root', Auth: 'unix-socket', Role: 'admin', Teams: [], Source: 'local' });

export function callers(src: CallerSources): Callers {
  const resolved = new WeakMap<FastifyRequest, RequestCaller>();
  const resolve = (request: FastifyRequest): RequestCaller => {
    const socket = request.raw.socket as TLSSocket;
    if (!socket.encrypted && !isPlainLoopback(socket)) {
      if (socket.remoteAddress === undefined) return ROOT();
      return { User: 'anonymous', Auth: 'insecure-api', Role: 'admin', Teams: [], Source: remoteIp(socket.remoteAddress) };
    }
    const source = remoteIp(socket.remoteAddress);
    const peer = socket.encrypted ? peerIdentity(socket, [OU_CLIENT, OU_MANAGER]) : undefined;
    if (peer?.role === OU_MANAGER) {
      const header = request.headers[FORWARDED_CALLER_HEADER];
      return (typeof header === 'string' && parseForwarded(header)) || { User: peer.commonName, Auth: 'certificate', Role: 'admin', Teams: [], Source: source };
    }
    if (peer) {
      const cert = src.certificate(socket.getPeerX509Certificate()!.serialNumber.toLowerCase());
      if (!cert || cert.Revoked) throw new UnauthorizedError('this client certificate was revoked: ask an administrator for a new one (berth cert client)');
      const role = cert.Spec.Role ?? 'admin';
      const user = cert.Spec.User;
      if (!user) return { User: cert.Spec.Name, Auth: 'certificate', Role: role, Teams: [], Source: source };
      return { ...src.store.view((tx) => userCaller(tx, user, 'certificate', role)), Source: source };
    }
    const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? webSocketBearer(request);
    if (!bearer) throw new UnauthorizedError('authentication required: a client certificate from this cluster (DOCKER_CERT_PATH) or a token (berth login --manager, berth token create; the docker CLI sends one through HttpHeaders in its config.json)');
    return src.store.view((tx) => {
      const token = findToken(tx, bearer);
      return { ...userCaller(tx, token.Spec.User, token.Spec.Kind, token.Spec.Role), Source: source };
    });
  };
  const callerOf = (request: FastifyRequest): RequestCaller => {
    let caller = resolved.get(request);
    if (!caller) {
      caller = resolve(request);
      resolved.set(request, caller);
    }
    return caller;
  };
  const forwardedCaller = (request: FastifyRequest): string => {
    let caller: RequestCaller;
    try {
      caller = callerOf(request);
    } catch (err) {
      // Only a route anyone may call gets this far without credentials (a login): the leader must
      // not take it for the follower's own, an admin's.
      if (!(err instanceof UnauthorizedError)) throw err;
      caller = { User: 'anonymous', Auth: 'none', Teams: [], Source: remoteIp(request.raw.socket.remoteAddress) };
    }
    return Buffer.from(JSON.stringify(caller)).toString('base64');
  };
  return { callerOf, forwardedCaller };
}

/** The subprotocol a browser's WebSocket carries its token in: `berth.bearer.berth_...`. */
const WEBSOCKET_BEARER = 'berth.bearer.';

/**
 * webSocketBearer: a browser cannot set Authorization on a WebSocket, and a token in the URL would
 * land in logs; it offers the token as a subprotocol instead (as Kubernetes does with
 * base64url.bearer.authorization.k8s.io.TOKEN), which the route never echoes back.
 */
function webSocketBearer(request: FastifyRequest): string | undefined {
  if (String(request.headers.upgrade).toLowerCase() !== 'websocket') return undefined;
  const offered = String(request.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  return offered.find((p) => p.startsWith(WEBSOCKET_BEARER))?.slice(WEBSOCKET_BEARER.length);
}

const AUTHS: readonly AuthMethod[] = ['unix-socket', 'insecure-api', 'certificate', 'token', 'session', 'none'];
const CLUSTER_ROLES: readonly string[] = ['viewer', 'operator', 'admin'];
const TEAM_ROLES: readonly string[] = ['viewer', 'operator', 'lead'];
const MAX_TEAMS = 256;

/** parseForwarded reads a follower's header, or undefined when it is not one (then the follower itself is named). */
function parseForwarded(text: string): RequestCaller | undefined {
  try {
    const v = JSON.parse(Buffer.from(text, 'base64').toString('utf8')) as Partial<RequestCaller>;
    if (typeof v.User !== 'string' || typeof v.Source !== 'string' || !AUTHS.includes(v.Auth as AuthMethod)) return undefined;
    if (v.Role !== undefined && !CLUSTER_ROLES.includes(v.Role)) return undefined;
    if (!Array.isArray(v.Teams) || v.Teams.length > MAX_TEAMS) return undefined;
    const teams: TeamGrant[] = [];
    for (const t of v.Teams as Partial<TeamGrant>[]) {
      if (typeof t.Team !== 'string' || !TEAM_ROLES.includes(t.Role as string) || !Array.isArray(t.Stacks) || !t.Stacks.every((s) => typeof s === 'string')) return undefined;
      teams.push({ Team: t.Team, Role: t.Role!, Stacks: t.Stacks });
    }
    return { User: v.User.slice(0, 256), Auth: v.Auth as AuthMethod, ...(v.Role && { Role: v.Role as ClusterRole }), Teams: teams, Source: v.Source.slice(0, 64) };
  } catch {
    return undefined;
  }
}
