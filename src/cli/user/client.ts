// The Berth manager's HTTP API (the Engine API v1.41 swarm subset) through dockerode's modem.
// Server errors ({"message": ...}) become ApiError and an unreachable manager UnavailableError,
// so commands print the message and nothing else.

import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../../common/files.js';
import Docker from 'dockerode';
import type { AuditEntry } from '../../audit/index.js';
import { InvalidArgumentError, UnavailableError } from '../../types/index.js';
import type { ClientCertificate, NodeSpec, ServiceSpec } from '../../types/index.js';
import type { ApiFilters, ApiNode, ApiService, ApiTask, CreateServiceResult, SwarmInfo, SystemInfo } from './api-types.js';

const API_VERSION = 'v1.41';

/** The unix sockets `berth up` and `berth manager` listen on with their default data dirs. */
const localSockets = (): string[] => [join(homedir(), '.berth', 'berth.sock'), join(homedir(), '.berth', 'manager', 'berth.sock')];

/**
 * resolveHost picks the manager: --host, then BERTH_HOST, then a tcp:// or unix:// DOCKER_HOST,
 * then the unix socket of a local `berth up` or `berth manager`.
 */
export function resolveHost(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  if (flag) return flag;
  if (env.BERTH_HOST) return env.BERTH_HOST;
  if (env.DOCKER_HOST?.startsWith('tcp://') || env.DOCKER_HOST?.startsWith('unix://')) return env.DOCKER_HOST;
  const socket = localSockets().find((p) => existsSync(p));
  return socket ? `unix://${socket}` : 'https://127.0.0.1:7420';
}

/** Where `berth login --manager` keeps sessions, by manager URL (mode 0600): ~/.berth, or $BERTH_CONFIG_DIR. */
export const managerAuthFile = (env: NodeJS.ProcessEnv = process.env): string => join(env.BERTH_CONFIG_DIR || join(homedir(), '.berth'), 'manager-auth.json');

export interface ManagerSession {
  token: string;
  user: string;
  expiresAt: string;
}

export function readManagerSessions(): Record<string, ManagerSession> {
  try {
    return JSON.parse(readFileSync(managerAuthFile(), 'utf8')) as Record<string, ManagerSession>;
  } catch {
    return {};
  }
}

/** saveManagerSession keeps a session for a manager, where every berth command finds it. */
export function saveManagerSession(host: string, session: ManagerSession): void {
  const sessions = readManagerSessions();
  sessions[host] = session;
  mkdirSync(dirname(managerAuthFile()), { recursive: true, mode: 0o700 });
  writeFileAtomic(managerAuthFile(), `${JSON.stringify(sessions, null, 2)}\n`, 0o600);
}

/** forgetManagerSession drops a manager's saved session. */
export function forgetManagerSession(host: string): void {
  const sessions = readManagerSessions();
  if (!sessions[host]) return;
  delete sessions[host];
  writeFileAtomic(managerAuthFile(), `${JSON.stringify(sessions, null, 2)}\n`, 0o600);
}

/** tokenFor is the bearer token for a manager: BERTH_TOKEN, else the session `berth login --manager` saved for it. */
export function tokenFor(host: string, env: NodeJS.ProcessEnv): string | undefined {
  return env.BERTH_TOKEN || readManagerSessions()[host]?.token;
}

/**
 * tlsFiles reads the client bundle as the docker CLI does: with DOCKER_TLS_VERIFY set (or an
 * https:// host), ca.pem, cert.pem and key.pem from DOCKER_CERT_PATH (default ~/.docker). With a
 * token and no certificate, ca.pem alone verifies the manager.
 */
function tlsFiles(env: NodeJS.ProcessEnv, token: string | undefined): { ca: Buffer; cert?: Buffer; key?: Buffer } {
  const dir = env.DOCKER_CERT_PATH || join(homedir(), '.docker');
  try {
    const ca = readFileSync(join(dir, 'ca.pem'));
    if (token && !existsSync(join(dir, 'cert.pem'))) return { ca };
    return { ca, cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) };
  } catch {
    throw new InvalidArgumentError(`no client certificate in ${dir}: set DOCKER_CERT_PATH to a directory with ca.pem, cert.pem and key.pem (the manager writes the admin's to <data dir>/client), or ca.pem and a token (berth login --manager, BERTH_TOKEN)`);
  }
}

/** dockerOptions turns http(s)://, tcp:// or unix:// URLs into dockerode connection options. */
export function dockerOptions(host: string, env: NodeJS.ProcessEnv = process.env): Docker.DockerOptions {
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
  const base = { host: url.hostname.replace(/^\[|\]$/g, ''), port, version: API_VERSION };
  const tls = protocol === 'https' || (url.protocol === 'tcp:' && !!env.DOCKER_TLS_VERIFY && env.DOCKER_TLS_VERIFY !== '0');
  if (!tls) return { ...base, protocol: 'http' };
  const token = tokenFor(host, env);
  const files = tlsFiles(env, token);
  return { ...base, protocol: 'https', ...files, ...(token && !files.cert && { headers: { Authorization: `Bearer ${token}` } }) };
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

  swarm(): Promise<SwarmInfo> {
    return this.request('GET', '/swarm');
  }

  /** rotateJoinToken is `docker swarm join-token --rotate ROLE`: the current spec back, with the flag. */
  async rotateJoinToken(role: 'worker' | 'manager'): Promise<void> {
    const current = await this.swarm();
    const flag = role === 'manager' ? 'rotateManagerToken' : 'rotateWorkerToken';
    await this.request('POST', '/swarm/update', { version: current.Version.Index, [flag]: true }, current.Spec);
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

  issueClientCertificate(name: string, csr: string, role?: string): Promise<{ ID: string; Certificate: string; RootCA: string }> {
    return this.request('POST', '/berth/v1/client-certificates', {}, { Name: name, CSR: csr, ...(role && { Role: role }) });
  }

  /** The audit log, newest first; `query` holds the route's filters (user, object, action, since, until, limit). */
  auditLog(query: Record<string, string>): Promise<AuditEntry[]> {
    return this.request('GET', '/berth/v1/audit', query);
  }

  listClientCertificates(): Promise<ClientCertificate[]> {
    return this.request('GET', '/berth/v1/client-certificates');
  }

  revokeClientCertificate(ref: string): Promise<ClientCertificate> {
    return this.request('POST', `/berth/v1/client-certificates/${encodeURIComponent(ref)}/revoke`);
  }

  /** request calls any route of the API; errors carry the manager's message. */
  request<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, query: Query = {}, body?: unknown): Promise<T> {
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
