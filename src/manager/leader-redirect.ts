// Where a follower sends agents: only the leader runs the dispatcher's sessions and the CA's
// writes, so on any other manager the session upgrade, join and renewal are redirected to it,
// as Swarm's followers point agents at the leader. Everything else (the CA's root) any manager serves.

import { isHostPort } from '../common/listen.js';
import { DISPATCHER_PATH, JOIN_PATH, RENEW_PATH } from '../types/index.js';

/**
 * Who leads, as the cluster port asks: `undefined` this manager (or the only one), a HOST:PORT
 * the leader's cluster address, `null` none right now (an election is running).
 */
export type LeaderAddress = string | null | undefined;

export interface FollowerAnswer {
  status: 307 | 503;
  message: string;
  headers: Record<string, string>;
}

/** Only the leader's: the session (a GET upgrade), joining and renewing. */
const LEADER_ONLY = new Set([`GET ${DISPATCHER_PATH}`, `POST ${JOIN_PATH}`, `POST ${RENEW_PATH}`]);

/**
 * followerAnswer is what a manager answers `method path` with instead of serving it, or
 * undefined to serve it. 307 keeps the method and body, so a join or renewal is sent again as is;
 * the agent checks the leader's certificate as it did this manager's.
 */
export function followerAnswer(method: string, path: string, leader: LeaderAddress): FollowerAnswer | undefined {
  if (leader === undefined || !LEADER_ONLY.has(`${method} ${path}`)) return undefined;
  // The address goes into a header: anything but a HOST:PORT is taken as no leader known.
  if (leader === null || !isHostPort(leader)) return { status: 503, message: 'no leader is elected yet: retry in a moment', headers: {} };
  return { status: 307, message: `this manager is not the leader; the leader is at ${leader}`, headers: { location: `https://${leader}${path}` } };
}
