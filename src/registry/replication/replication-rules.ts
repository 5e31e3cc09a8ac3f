// Checking the admin API's bodies for registry endpoints and replication policies: every
// rejection names the field and says what would be accepted.

import { checkSchedule } from '../policies/schedule.js';
import { InvalidArgumentError, type RegistryEndpointSpec, type ReplicationPolicySpec, type ReplicationTrigger } from '../../types/index.js';

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;
/** A repository name prefix (the spec's path components). */
const NAMESPACE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

export type Body = Record<string, unknown>;

export function asBody(value: unknown): Body {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidArgumentError('the request body must be a JSON object');
  return value as Body;
}

export function checkName(value: unknown, what: string): string {
  if (typeof value !== 'string' || !NAME.test(value)) {
    throw new InvalidArgumentError(`${what} Name must be 1-63 letters, digits, "_", "." or "-", starting with a letter or digit`);
  }
  return value;
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new InvalidArgumentError(`${field} must be a string`);
  return value;
}

function optionalBoolean(value: unknown, field: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new InvalidArgumentError(`${field} must be true or false`);
  return value;
}

function globs(value: unknown, field: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v === '')) {
    throw new InvalidArgumentError(`${field} must be a list of non-empty glob patterns, e.g. ["team/**"]`);
  }
  return value as string[];
}

/** endpointSpec checks a registry endpoint; `old` keeps the stored password when none is given. */
export function endpointSpec(b: Body, old?: RegistryEndpointSpec): RegistryEndpointSpec {
  const name = checkName(b.Name ?? old?.Name, 'the registry');
  const url = optionalString(b.URL, 'URL') ?? old?.URL;
  if (!url || !/^https?:\/\/[^/\s]+\/?$/.test(url)) throw new InvalidArgumentError(`URL must be http(s)://HOST[:PORT] of the registry, got ${JSON.stringify(b.URL ?? '')}`);
  const username = optionalString(b.Username, 'Username') ?? old?.Username;
  const password = optionalString(b.Password, 'Password') ?? old?.Password;
  const insecure = optionalBoolean(b.Insecure, 'Insecure') ?? old?.Insecure ?? false;
  if (password && !username) throw new InvalidArgumentError('Password needs a Username');
  return { Name: name, URL: url.replace(/\/$/, ''), Insecure: insecure, ...(username && { Username: username }), ...(password && { Password: password }) };
}

/** policySpec checks a replication policy; `endpointExists` says whether the named endpoint is known. */
export function policySpec(b: Body, endpointExists: (name: string) => boolean, old?: ReplicationPolicySpec): ReplicationPolicySpec {
  const merged = { ...old, ...b } as Body;
  const name = checkName(merged.Name, 'the policy');
  const direction = merged.Direction;
  if (direction !== 'push' && direction !== 'pull') throw new InvalidArgumentError('Direction must be "push" (this registry to the endpoint) or "pull" (the endpoint to this registry)');
  const endpoint = optionalString(merged.Endpoint, 'Endpoint');
  if (!endpoint) throw new InvalidArgumentError('Endpoint must name a registry endpoint (see /berth/v1/registry/registries)');
  if (!endpointExists(endpoint)) throw new InvalidArgumentError(`Endpoint ${endpoint} does not exist: create it under /berth/v1/registry/registries first`);
  const namespace = optionalString(merged.DestinationNamespace, 'DestinationNamespace') ?? '';
  if (namespace && !NAMESPACE.test(namespace)) throw new InvalidArgumentError(`DestinationNamespace must be a repository path prefix such as "mirror" or "team/mirror", got ${JSON.stringify(namespace)}`);
  const trigger = checkTrigger(merged.Trigger ?? { Type: 'manual' });
  if (trigger.Type === 'onPush' && direction === 'pull') throw new InvalidArgumentError('Trigger onPush is for push policies (a pull policy cannot see pushes to the other registry): use manual or schedule');
  const description = optionalString(merged.Description, 'Description');
  return {
    Name: name,
    Direction: direction,
    Endpoint: endpoint,
    Repositories: globs(merged.Repositories, 'Repositories'),
    Tags: globs(merged.Tags, 'Tags'),
    DestinationNamespace: namespace,
    Trigger: trigger,
    Enabled: optionalBoolean(merged.Enabled, 'Enabled') ?? true,
    ...(description && { Description: description }),
  };
}

function checkTrigger(value: unknown): ReplicationTrigger {
  const t = asBodyOr(value, 'Trigger must be an object such as {"Type":"onPush"}');
  if (t.Type === 'manual' || t.Type === 'onPush') return { Type: t.Type };
  if (t.Type === 'schedule') return { Type: 'schedule', ...checkSchedule(t, 'Trigger') };
  throw new InvalidArgumentError(`Trigger.Type must be "manual", "onPush" or "schedule", got ${JSON.stringify(t.Type)}`);
}

function asBodyOr(value: unknown, message: string): Body {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidArgumentError(message);
  return value as Body;
}
