// The registry's metadata objects (Harbor's model), kept in Berth's store beside the Swarm
// objects: users, projects (the first path component of a repository) with their members and
// policies, and robot accounts. Versioned like every stored object; names are unique per kind.

import type { Meta } from './objects.js';

/** Harbor's project roles, most to least powerful. guest may only pull. */
export type ProjectRole = 'projectAdmin' | 'maintainer' | 'developer' | 'guest';

export interface RegistryUserSpec {
  /** Login name: lower-case letters, digits and ._- (Harbor's rule); "admin" exists from the first start. */
  Name: string;
  Email?: string;
  /** System administrator: every permission on every project, and user/project administration. */
  Admin: boolean;
  /** scrypt hash of the password, `scrypt$N$r$p$salt$hash` (base64); never returned by the API. */
  PasswordHash: string;
}
export interface RegistryUser extends Meta {
  Spec: RegistryUserSpec;
}

export interface ProjectMember {
  /** A user's name. */
  User: string;
  Role: ProjectRole;
}

/** A platform team made a member of a project: every member of the team has the role (Harbor's group members). */
export interface ProjectTeam {
  Team: string;
  Role: ProjectRole;
}

export interface RegistryProjectSpec {
  /** The first component of the repositories it holds: `library` in `library/nginx`. */
  Name: string;
  /** Anyone, even anonymous, may pull from a public project. */
  Public: boolean;
  Members: ProjectMember[];
  /** Teams with a role in the project; a user in several (or also a member) has the strongest role. */
  Teams?: ProjectTeam[];
  /** Storage quota in bytes (blobs shared within the project counted once); -1 = unlimited. */
  QuotaBytes: number;
  /** Tag retention policy (Harbor's): which tags to keep; the rest are deleted when it runs. */
  Retention?: RetentionPolicy;
  /** Tag immutability rules: matching tags can be neither moved nor deleted. */
  Immutability?: ImmutabilityRule[];
}
export interface RegistryProject extends Meta {
  Spec: RegistryProjectSpec;
}

/** What a webhook can be told about: artifacts pushed, pulled or deleted, pushes over quota, replication results. */
export type WebhookEventType = 'push' | 'pull' | 'delete' | 'quotaExceeded' | 'replication';

export interface RegistryWebhookSpec {
  /** The project whose events are sent. */
  Project: string;
  /** Free text naming the endpoint for people. */
  Name: string;
  /** http(s) URL the events are POSTed to. */
  Url: string;
  Events: WebhookEventType[];
  /** HMAC-SHA256 key of the X-Berth-Signature header; never returned by the API. */
  Secret?: string;
  Enabled: boolean;
}
export interface RegistryWebhook extends Meta {
  Spec: RegistryWebhookSpec;
}

export type RobotAction = 'pull' | 'push' | 'delete';

export interface RobotPermission {
  /** A project's name, or "*" for every project (system robots only). */
  Project: string;
  Actions: RobotAction[];
}

export interface RegistryRobotSpec {
  /** Full login name: `robot$<name>` (system robot) or `robot$<project>+<name>` (project robot). */
  Name: string;
  Description?: string;
  /** sha256 (hex) of the secret; the secret itself is shown once, at creation. */
  SecretHash: string;
  /** RFC 3339 time after which the robot cannot log in; absent = never expires. */
  ExpiresAt?: string;
  Disabled: boolean;
  Permissions: RobotPermission[];
}
export interface RegistryRobot extends Meta {
  Spec: RegistryRobotSpec;
}

/**
 * What a retention rule keeps among the tags its `Tags` pattern matches in each repository its
 * `Repositories` pattern matches: the `Count` most recently pushed, all of them, or those pushed
 * within the last `Days` days.
 */
export type RetentionRule =
  | { Repositories: string; Tags: string; Keep: 'latestPushed'; Count: number }
  | { Repositories: string; Tags: string; Keep: 'matching' }
  | { Repositories: string; Tags: string; Keep: 'pushedWithinDays'; Days: number };

export interface RetentionPolicy {
  /** A tag is kept if any rule keeps it; in repositories some rule matches, the other tags are deleted. */
  Rules: RetentionRule[];
  /** When to run on its own; absent = manual runs only. */
  Schedule?: Schedule;
}

/**
 * When a policy runs on its own: every IntervalSeconds after its last run, or at the times a cron
 * expression names (UTC; five fields, or six with seconds first as in Harbor).
 */
export type Schedule = { IntervalSeconds: number } | { Cron: string };

/** Tags matching both patterns (picomatch; repository paths relative to the project) are immutable. */
export interface ImmutabilityRule {
  Repositories: string;
  Tags: string;
}
