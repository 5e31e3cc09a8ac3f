// The Berth manager's HTTP API (the Engine API v1.41 swarm subset) through dockerode's modem.
// Server errors ({"message": ...}) become ApiError and an unreachable manager UnavailableError,
// so commands print the message and nothing else.

import Docker from 'dockerode';
import { InvalidArgumentError, UnavailableError } from '../../types/index.js';
import type { NodeSpec, ServiceSpec } from '../../types/index.js';
import type { ApiFilters, ApiNode, ApiService, ApiTask, CreateServiceResult, SystemInfo } from './api-types.js';

export const DEFAULT_HOST = 'http://127.0.0.1:7420';
const API_VERSION = 'v1.41';

/** resolveHost picks the manager URL: --host, then BERTH_HOST, then a tcp:// DOCKER_HOST. */
export function resolveHost(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  if (flag) return flag;
  if (env.BERTH_HOST) return env.BERTH_HOST;
  if (env.DOCKER_HOST?.startsWith('tcp://')) return env.DOCKER_HOST;
  return DEFAULT_HOST;
}

/** dockerOptions turns http(s)://, tcp:// or unix:// URLs into dockerode connection options. */
export function dockerOptions(host: string): Docker.DockerOptions {
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    throw new InvalidArgumentError(`invalid host "${host}": use a URL such as http://127.0.0.1:7420, tcp://10.0.0.5:7420 or unix:///run/berth.sock`);
  }
  if (url.protocol === 'unix:') return { socketPath: url.pathname, version: API_VERSION };
  const protocols: Record<string, 'http' | 'https'> = { 'http:': 'http', 'tcp:': 'http', 'https:': 'https' };
  const protocol = protocols[url.protocol];
  if (!protocol || !url.hostname) {
    throw new InvalidArgumentError(`invalid host "${host}": use http://, https://, tcp:// or unix://, e.g. http://127.0.0.1:7420`);
  }
  const port = url.port || (protocol === 'https' ? '443' : '7420');
  return { protocol, host: url.hostname.replace(/^\[|\]$/g, ''), port, version: API_VERSION };
}

type Query = Record<string, string | number | boolean | ApiFilters>;

export class ApiClient {
  private readonly docker: Docker;

  constructor(readonly host: string) {
    this.docker = new Docker(dockerOptions(host));
  }

  info(): Promise<SystemInfo> {
    return this.request('GET', '/info');
  }

  listNodes(filters?: ApiFilters): Promise<ApiNode[]> {
    return this.request('GET', '/nodes', withFilters({}, filters));
  }

  node(ref: string): Promise<ApiNode> {
    return this.request('GET', `/nodes/${encodeURIComponent(ref)}`);
  }

  updateNode(id: string, version: number, spec: NodeSpec): Promise<void> {
    return this.request('POST', `/nodes/${encodeURIComponent(id)}/update`, { version }, spec);
  }

  listServices(filters?: ApiFilters): Promise<ApiService[]> {
    return this.request('GET', '/services', withFilters({ status: true }, filters));
  }

  service(ref: string, insertDefaults = false): Promise<ApiService> {
    return this.request('GET', `/services/${encodeURIComponent(ref)}`, insertDefaults ? { insertDefaults: true } : {});
  }

  createService(spec: ServiceSpec): Promise<CreateServiceResult> {
    return this.request('POST', '/services/create', {}, spec);
  }

  updateService(id: string, version: number, spec: ServiceSpec): Promise<{ Warnings?: string[] | null }> {
    return this.request('POST', `/services/${encodeURIComponent(id)}/update`, { version }, spec);
  }

  removeService(ref: string): Promise<void> {
    return this.request('DELETE', `/services/${encodeURIComponent(ref)}`);
  }

  listTasks(filters?: ApiFilters): Promise<ApiTask[]> {
    return this.request('GET', '/tasks', withFilters({}, filters));
  }

  private request<T>(method: 'GET' | 'POST' | 'DELETE', path: string, query: Query = {}, body?: unknown): Promise<T> {
    return new Promise((resolve, reject) => {
      this.docker.modem.dial(
        {
          // A trailing '?' tells the modem to append the query string.
          path: `${path}?`,
          method,
          options: body === undefined ? { _query: query } : { _query: query, _body: body },
          statusCodes: { 200: true, 201: true, 204: true },
        },
        (err, data) => (err ? reject(this.toBerthError(err)) : resolve(data as T)),
      );
    });
  }

  private toBerthError(err: unknown): Error {
    const e = err as { statusCode?: number; json?: unknown; code?: string; message?: string };
    if (typeof e.statusCode === 'number') return new ApiError(e.statusCode, serverMessage(e.json, e.statusCode));
    if (e.code && ['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ECONNRESET', 'ETIMEDOUT', 'ENOENT', 'EAI_AGAIN'].includes(e.code)) {
      return new UnavailableError(
        `cannot reach the Berth manager at ${this.host} (${e.code}): is it running? Point to it with --host URL or BERTH_HOST`,
      );
    }
    return err instanceof Error ? err : new Error(String(err));
  }
}

function withFilters(query: Query, filters: ApiFilters | undefined): Query {
  return filters && Object.keys(filters).length > 0 ? { ...query, filters } : query;
}

function serverMessage(json: unknown, status: number): string {
  if (json && typeof json === 'object' && 'message' in json && typeof json.message === 'string') return json.message;
  const text = Buffer.isBuffer(json) ? json.toString('utf8').trim() : typeof json === 'string' ? json.trim() : '';
  return text || `the manager answered HTTP ${status} without a message`;
}

/** An error the manager answered with: the HTTP status and the message of its {"message"} body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}
