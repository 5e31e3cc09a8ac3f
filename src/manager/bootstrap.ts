// First start of a manager: the cluster object with its join tokens and Swarm's defaults.

import { DEFAULT_HEARTBEAT_MS, DEFAULT_TASK_HISTORY } from '../common/defaults.js';
import { newId } from '../common/ids.js';
import { msToNs } from '../common/time.js';
import { joinToken } from '../common/tokens.js';
import type { Store } from '../store/index.js';
import type { Cluster } from '../types/index.js';

/** ensureCluster creates the cluster object on first start; taskHistory, when given, sets the retention limit. */
export function ensureCluster(store: Store, taskHistory?: number): Cluster {
  return store.update((tx) => {
    const existing = tx.cluster();
    if (existing && (taskHistory === undefined || existing.Spec.Orchestration.TaskHistoryRetentionLimit === taskHistory)) return existing;
    if (existing) {
      return tx.clusters.update({ ...existing, Spec: { ...existing.Spec, Orchestration: { ...existing.Spec.Orchestration, TaskHistoryRetentionLimit: taskHistory! } } });
    }
    return tx.clusters.create({
      ID: newId(),
      Version: { Index: 0 },
      CreatedAt: '',
      UpdatedAt: '',
      Spec: {
        Name: 'default',
        Labels: {},
        Orchestration: { TaskHistoryRetentionLimit: taskHistory ?? DEFAULT_TASK_HISTORY },
        Dispatcher: { HeartbeatPeriod: msToNs(DEFAULT_HEARTBEAT_MS) },
        Raft: { SnapshotInterval: 10000, KeepOldSnapshots: 0, LogEntriesForSlowFollowers: 500, ElectionTick: 10, HeartbeatTick: 1 },
        CAConfig: { NodeCertExpiry: 7776000000000000 },
        TaskDefaults: {},
        EncryptionConfig: { AutoLockManagers: false },
      },
      JoinTokens: { Worker: joinToken(), Manager: joinToken() },
    });
  });
}
