// First start of a manager: the cluster object with its root CA, join tokens and Swarm's defaults.

import { DEFAULT_HEARTBEAT_MS, DEFAULT_TASK_HISTORY } from '../common/defaults.js';
import { newId } from '../common/ids.js';
import { msToNs } from '../common/time.js';
import { joinToken, withRoot } from '../common/tokens.js';
import type { Store } from '../store/index.js';
import type { Cluster } from '../types/index.js';

export interface ClusterSetup {
  /** The root CA certificate (PEM) from the manager's data dir. */
  rootCert: string;
  /** Ended tasks kept per slot; sets the retention limit when given. */
  taskHistory?: number;
}

/** ensureCluster creates the cluster object on first start, and keeps it in line with the data dir's root CA. */
export function ensureCluster(store: Store, setup: ClusterSetup): Cluster {
  const { rootCert, taskHistory } = setup;
  return store.update((tx) => {
    const existing = tx.cluster();
    if (!existing) {
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
        JoinTokens: { Worker: joinToken(rootCert), Manager: joinToken(rootCert) },
        BerthCA: { RootCert: rootCert },
      });
    }
    const known = existing.BerthCA?.RootCert;
    if (known && known !== rootCert) {
      throw new Error(
        "the data dir's root CA certificate is not the cluster's: a manager joining this cluster starts with an empty --data-dir and --join HOST:PORT --token <manager token>; otherwise restore certificates/swarm-root-ca.* from this manager's backup",
      );
    }
    const history = taskHistory ?? existing.Spec.Orchestration.TaskHistoryRetentionLimit;
    if (known && history === existing.Spec.Orchestration.TaskHistoryRetentionLimit) return existing;
    // A cluster made before Berth had a CA gets the root now, and tokens that name it.
    return tx.clusters.update({
      ...existing,
      Spec: { ...existing.Spec, Orchestration: { ...existing.Spec.Orchestration, TaskHistoryRetentionLimit: history } },
      JoinTokens: known ? existing.JoinTokens : { Worker: withRoot(existing.JoinTokens.Worker, rootCert), Manager: withRoot(existing.JoinTokens.Manager, rootCert) },
      BerthCA: { ...existing.BerthCA, RootCert: rootCert },
    });
  });
}
