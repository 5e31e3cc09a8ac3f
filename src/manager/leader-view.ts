// What a manager on etcd tells others about the leader, from the election as it sees it: where a
// follower sends API writes and agents, and which manager `docker node ls` shows as Leader. One
// rule for all: a manager never points at itself unless it leads (its lease may have just ended
// while the news is still on its way), so it never forwards to itself.

import type { ManagerView } from '../api/index.js';
import type { Leadership, ManagerAddress } from './leadership.js';

export interface LeaderView {
  /** The leader's API URL; undefined when this manager leads, null when no other leader is known. */
  api(): string | null | undefined;
  /** The leader's cluster address, likewise. */
  cluster(): string | null | undefined;
  /** Leader and live managers for the node list. */
  managers(): ManagerView;
}

export function leaderView(leadership: Pick<Leadership, 'leading' | 'leader' | 'members'>, self: () => ManagerAddress | undefined): LeaderView {
  const other = (key: 'apiUrl' | 'clusterAddr') => (): string | null | undefined => {
    if (leadership.leading) return undefined;
    const leader = leadership.leader;
    return leader && leader.clusterAddr !== self()?.clusterAddr ? leader[key] : null;
  };
  const cluster = other('clusterAddr');
  return {
    api: other('apiUrl'),
    cluster,
    managers: () => ({ leader: leadership.leading ? self()?.clusterAddr : (cluster() ?? undefined), reachable: new Set(leadership.members.keys()) }),
  };
}
