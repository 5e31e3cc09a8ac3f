// Replication (Harbor's model): remote registries Berth talks to, policies that copy artifacts
// between this registry and one of them, and the record of each run. Kept in Berth's store;
// endpoint rows are sealed at rest because they hold passwords.

import type { Meta } from './objects.js';
import type { Schedule } from './registry.js';

export interface RegistryEndpointSpec {
  /** Unique name policies refer to. */
  Name: string;
  /** http(s)://host[:port] of any OCI Distribution registry. */
  URL: string;
  Username?: string;
  /** Never returned by the API. */
  Password?: string;
  /** Skip TLS certificate verification (self-signed registries). */
  Insecure: boolean;
}
export interface RegistryEndpoint extends Meta {
  Spec: RegistryEndpointSpec;
}

export type ReplicationTrigger = { Type: 'manual' } | { Type: 'onPush' } | ({ Type: 'schedule' } & Schedule);

export interface ReplicationPolicySpec {
  Name: string;
  Description?: string;
  /** push: this registry → the endpoint; pull: the endpoint → this registry. */
  Direction: 'push' | 'pull';
  /** The endpoint's name. */
  Endpoint: string;
  /**
   * Repositories to copy, as picomatch globs (`**` spans `/`, `*` does not). A pull policy lists
   * the remote's repositories by these patterns' literal names, since registries have no catalog.
   */
  Repositories: string[];
  /** Tags to copy (globs); empty = every tag. */
  Tags: string[];
  /** Prefix put before repository names on the destination ("" = same names). */
  DestinationNamespace: string;
  Trigger: ReplicationTrigger;
  Enabled: boolean;
}
export interface ReplicationPolicy extends Meta {
  Spec: ReplicationPolicySpec;
}

export type ReplicationStatus = 'running' | 'succeeded' | 'failed' | 'partial';

export interface ReplicationArtifactResult {
  Repository: string;
  Tag: string;
  Digest: string;
  /** Where it went: the destination repository. */
  Destination: string;
  Status: 'succeeded' | 'failed' | 'skipped';
  Error?: string;
  /** Blob bytes sent (blobs the destination had are not counted). */
  Bytes: number;
  Attempts: number;
}

export interface ReplicationRun extends Meta {
  PolicyID: string;
  Trigger: ReplicationTrigger['Type'];
  Status: ReplicationStatus;
  StartedAt: string;
  EndedAt?: string;
  /** Why the run failed as a whole (endpoint unreachable, bad credentials), if it did. */
  Error?: string;
  Artifacts: ReplicationArtifactResult[];
}
