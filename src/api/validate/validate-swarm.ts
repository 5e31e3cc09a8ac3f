// SwarmSpec updates (POST /swarm/update): the body's types, the settings Berth acts on (task
// history, heartbeat period, autolock) within bounds it can honour, and a 501 for what it cannot
// do yet (its own CA, a cluster-wide log driver) instead of accepting and ignoring it.

import { InvalidArgumentError, NotImplementedError } from '../../types/index.js';
import type { Cluster, Labels } from '../../types/index.js';
import { schemaChecker } from './schema-check.js';
import { swarmSpecSchema } from './spec-schemas.js';

type ClusterSpec = Cluster['Spec'];

export interface SwarmSpecBody {
  Name?: string;
  Labels?: Labels;
  Orchestration?: { TaskHistoryRetentionLimit?: number };
  Raft?: Record<string, number>;
  Dispatcher?: { HeartbeatPeriod?: number };
  CAConfig?: { NodeCertExpiry?: number; ExternalCAs?: unknown[]; SigningCACert?: string; SigningCAKey?: string; ForceRotate?: number };
  TaskDefaults?: { LogDriver?: { Name?: string; Options?: Labels } };
  EncryptionConfig?: { AutoLockManagers?: boolean };
}

/** validateSwarmSpec checks a request body's types and returns the cleaned spec; throws InvalidArgumentError. */
export const validateSwarmSpec = schemaChecker<SwarmSpecBody>('SwarmSpec', swarmSpecSchema);

/** Ended tasks kept per slot: the same bound as `berth up --task-history-limit`. */
const MAX_TASK_HISTORY = 1000;
/**
 * Agents heartbeat every period and are declared down after three missed ones: below a second
 * a short stall of the manager would condemn healthy nodes; above an hour a dead node's tasks
 * would wait hours to be replaced.
 */
const MIN_HEARTBEAT_NS = 1e9;
/** Swarm's ca.MinNodeCertExpiration. */
export const MIN_CERT_EXPIRY_NS = 3600e9;
const MAX_HEARTBEAT_NS = 3600e9;

/**
 * mergeSwarmSpec gives the cluster spec after an update. As the Engine merges one (moby
 * convert.MergeSwarmSpecToGRPC), an absent field, an empty Name and a zero HeartbeatPeriod or
 * NodeCertExpiry keep the current value. Raft is kept as given and shown back: Berth has no Raft
 * log. NodeCertExpiry is what the CA signs node certificates for, at least an hour as in Swarm
 * (`minCertExpiryNs` lowers that floor for tests: BERTH_MIN_CERT_EXPIRY).
 */
export function mergeSwarmSpec(current: ClusterSpec, given: SwarmSpecBody, minCertExpiryNs = MIN_CERT_EXPIRY_NS): ClusterSpec {
  refuseUnsupported(current, given);
  if (given.Name && given.Name !== current.Name) {
    throw new InvalidArgumentError(`invalid SwarmSpec: the swarm is named "${current.Name}" and can't be renamed to "${given.Name}"`);
  }
  const history = given.Orchestration?.TaskHistoryRetentionLimit;
  if (history !== undefined && (history < 0 || history > MAX_TASK_HISTORY)) {
    const why = history < 0 ? ': Berth does not keep unlimited task history' : '';
    throw new InvalidArgumentError(`invalid SwarmSpec: Orchestration.TaskHistoryRetentionLimit must be between 0 and ${MAX_TASK_HISTORY} (got ${history})${why}`);
  }
  const heartbeat = given.Dispatcher?.HeartbeatPeriod || undefined;
  if (heartbeat !== undefined && (heartbeat < MIN_HEARTBEAT_NS || heartbeat > MAX_HEARTBEAT_NS)) {
    throw new InvalidArgumentError(`invalid SwarmSpec: Dispatcher.HeartbeatPeriod must be between 1s and 1h (got ${formatNs(heartbeat)})`);
  }
  const certExpiry = given.CAConfig?.NodeCertExpiry || undefined;
  // `docker swarm ca --rotate` raises ForceRotate (the schema keeps it a whole number, 0 or
  // more); the CA's rotation loop acts on the change.
  const forceRotate = given.CAConfig?.ForceRotate;
  if (certExpiry !== undefined && certExpiry < minCertExpiryNs) {
    throw new InvalidArgumentError(`minimum certificate expiry time is: ${goDuration(minCertExpiryNs)}`);
  }
  return {
    ...current,
    ...(given.Labels && { Labels: given.Labels }),
    Orchestration: { ...current.Orchestration, TaskHistoryRetentionLimit: history ?? current.Orchestration.TaskHistoryRetentionLimit },
    Dispatcher: { ...current.Dispatcher, HeartbeatPeriod: heartbeat ?? current.Dispatcher.HeartbeatPeriod },
    ...(given.Raft && { Raft: { ...current.Raft, ...given.Raft } }),
    CAConfig: { ...current.CAConfig, ...(certExpiry && { NodeCertExpiry: certExpiry }), ...(forceRotate !== undefined && forceRotate !== (current.CAConfig?.ForceRotate ?? 0) && { ForceRotate: forceRotate }) },
    ...(given.EncryptionConfig?.AutoLockManagers !== undefined && { EncryptionConfig: { AutoLockManagers: given.EncryptionConfig.AutoLockManagers } }),
  };
}

function refuseUnsupported(current: ClusterSpec, given: SwarmSpecBody): void {
  const ca = given.CAConfig ?? {};
  const ownCa = "Berth's cluster CA signs with its own root";
  if (ca.ExternalCAs?.length) throw new NotImplementedError(`external CAs are not supported yet: ${ownCa}`);
  if (ca.SigningCACert || ca.SigningCAKey) throw new NotImplementedError(`a signing CA certificate or key can't be set yet: ${ownCa}`);
  if (given.TaskDefaults?.LogDriver?.Name) {
    throw new NotImplementedError('a cluster-wide default log driver is not supported yet: set the log driver on each service (--log-driver)');
  }
}

/** 1e6 -> "1ms", 2e9 -> "2s", 7200e9 -> "2h": enough to echo a rejected duration. */
function formatNs(ns: number): string {
  if (ns % 3600e9 === 0) return `${ns / 3600e9}h`;
  if (ns % 60e9 === 0) return `${ns / 60e9}m`;
  if (ns % 1e9 === 0) return `${ns / 1e9}s`;
  if (ns % 1e6 === 0) return `${ns / 1e6}ms`;
  if (ns % 1e3 === 0) return `${ns / 1e3}µs`;
  return `${ns}ns`;
}

/** goDuration writes a duration as Go's time.Duration.String does (1h0m0s, 10s), for Swarm's messages. */
function goDuration(ns: number): string {
  const total = Math.round(ns / 1e9);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  return h > 0 ? `${h}h${m}m${sec}s` : m > 0 ? `${m}m${sec}s` : `${sec}s`;
}
