// The registry admin API's shapes (docs/openapi/registry-admin.yaml), as the registry pages read
// them, and the manager's update check (GET /berth/v1/image-updates).

export type ProjectRole = 'projectAdmin' | 'maintainer' | 'developer' | 'guest';
export type RepositoryAction = 'pull' | 'push' | 'delete';

export interface ProjectMember {
  User?: string;
  Team?: string;
  Role: ProjectRole;
}

export interface RegistryProject {
  ID: string;
  Name: string;
  Public: boolean;
  QuotaBytes: number;
  Members: ProjectMember[];
  Teams: ProjectMember[];
  CreatedAt: string;
  UpdatedAt: string;
  /** The signed-in user's role in it, as a member or through a team. */
  CurrentUserRole?: ProjectRole;
}

export interface RepositorySummary {
  Name: string;
  Artifacts: number;
  Tags: number;
  UpdatedAt?: string;
}

export interface Artifact {
  Digest: string;
  MediaType: string;
  Size: number;
  PushedAt: string;
  Tags: Array<{ Name: string; PushedAt: string }>;
  Children?: Array<{ Digest: string; Platform?: string }>;
  Subject?: string;
}

export interface Robot {
  ID: string;
  Name: string;
  Description: string;
  ExpiresAt: string;
  Disabled: boolean;
  Permissions: Array<{ Project: string; Actions: RepositoryAction[] }>;
  CreatedAt: string;
}

export interface Quota {
  project: string;
  quotaBytes: number;
  usedBytes: number;
  blobs: number;
  manifests: number;
}

export type Schedule = { IntervalSeconds: number } | { Cron: string };

export interface RetentionRule {
  Repositories: string;
  Tags: string;
  Keep: 'latestPushed' | 'matching' | 'pushedWithinDays';
  Count?: number;
  Days?: number;
}

export interface RetentionPolicy {
  Rules: RetentionRule[];
  Schedule?: Schedule;
}

interface RunTag {
  Repository: string;
  Tag: string;
  Digest: string;
}

export interface RetentionRun {
  Id: string;
  Trigger: 'manual' | 'schedule';
  DryRun: boolean;
  StartedAt: string;
  Status: 'succeeded' | 'failed';
  Deleted: RunTag[];
  Kept: Array<RunTag & { Reasons: string[] }>;
  Errors: Array<{ Message: string }>;
}

export interface ImmutabilityRule {
  Repositories: string;
  Tags: string;
}

export type WebhookEvent = 'push' | 'pull' | 'delete' | 'quotaExceeded' | 'replication';

export interface Webhook {
  id: string;
  name: string;
  url: string;
  events: WebhookEvent[];
  enabled: boolean;
  hasSecret: boolean;
  version: number;
}

export interface Delivery {
  id: string;
  event: WebhookEvent;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  statusCode?: number;
  error?: string;
  startedAt: string;
}

export interface Endpoint {
  ID: string;
  Spec: { Name: string; URL: string; Username?: string; Insecure: boolean; HasPassword: boolean };
}

export interface ReplicationPolicy {
  ID: string;
  Spec: {
    Name: string;
    Direction: 'push' | 'pull';
    Endpoint: string;
    Repositories?: string[];
    Tags?: string[];
    DestinationNamespace?: string;
    Trigger?: { Type: 'manual' | 'onPush' | 'schedule' } & Partial<{ IntervalSeconds: number; Cron: string }>;
    Enabled?: boolean;
  };
}

export interface ReplicationRun {
  ID: string;
  Trigger: string;
  Status: 'running' | 'succeeded' | 'failed' | 'partial';
  StartedAt: string;
  EndedAt?: string;
  Error?: string;
  Artifacts: Array<{ Repository: string; Tag: string; Status: string; Error?: string }>;
}

export interface GcRun {
  id: number;
  startedAt: string;
  finishedAt?: string;
  status: 'running' | 'succeeded' | 'failed';
  error?: string;
  dryRun: boolean;
  deleteUntagged: boolean;
  blobsDeleted: number;
  manifestsDeleted: number;
  bytesFreed: number;
}

export interface GcStatus {
  running: boolean;
  graceSeconds: number;
  intervalSeconds: number;
  cron: string | null;
  deleteUntagged: boolean;
  runs: GcRun[];
}

export interface RegistryInfo {
  RegistryUrl: string;
  ExternalUrl: string;
}

export interface ImageUpdate {
  ServiceID: string;
  ServiceName: string;
  Image: string;
  Digest: string;
  LatestDigest: string;
  LatestImage: string;
}
