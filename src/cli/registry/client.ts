// A client of the registry's admin API (/berth/v1/registry) and token endpoint, with the
// credentials `berth login` stored. Errors carry the registry's message.

import { UnavailableError } from '../../types/index.js';
import { CliError } from '../user/context.js';
import { DEFAULT_REGISTRY, readAuthFile, registryUrl, type RegistryLogin } from './auth-file.js';

const PREFIX = '/berth/v1/registry';

export class RegistryClient {
  constructor(
    readonly url: string,
    private readonly login: Pick<RegistryLogin, 'username' | 'password'> | undefined,
  ) {}

  /** forRegistry picks --registry, else the last login, else 127.0.0.1:5000, with its stored credentials. */
  static async open(registry: string | undefined): Promise<RegistryClient> {
    const file = await readAuthFile();
    const name = registry ?? file.current ?? DEFAULT_REGISTRY;
    const { key, url } = registryUrl(name);
    const stored = file.registries[key];
    return new RegistryClient(registry && /^https?:/.test(registry) ? url : (stored?.url ?? url), stored);
  }

  get username(): string | undefined {
    return this.login?.username;
  }

  /** checkLogin asks the token endpoint for a token with these credentials; wrong ones fail. */
  async checkLogin(username: string, password: string): Promise<void> {
    await this.fetch('GET', '/service/token?service=berth-registry', undefined, { username, password });
  }

  get<T>(path: string): Promise<T> {
    return this.fetch('GET', PREFIX + path) as Promise<T>;
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.fetch('POST', PREFIX + path, body) as Promise<T>;
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.fetch('PUT', PREFIX + path, body) as Promise<T>;
  }

  async delete(path: string): Promise<void> {
    await this.fetch('DELETE', PREFIX + path);
  }

  private async fetch(method: string, path: string, body?: unknown, creds = this.login): Promise<unknown> {
    const headers: Record<string, string> = {};
    if (creds) headers.Authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(this.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new UnavailableError(
        `cannot reach the registry at ${this.url} (${cause?.code ?? cause?.message ?? (err as Error).message}): is it running? Name it with --registry HOST:PORT` +
          (this.url.startsWith('https:') ? '; for a self-signed certificate set NODE_EXTRA_CA_CERTS=CA.pem' : ''),
      );
    }
    const text = await res.text();
    const json = text ? safeJson(text) : undefined;
    if (res.ok) return json;
    const message = (json as { message?: string } | undefined)?.message ?? (json as { errors?: { message: string }[] } | undefined)?.errors?.[0]?.message;
    const hint = res.status === 401 && !creds ? ` (log in first: berth login ${this.url.replace(/^https?:\/\//, '')} -u USER)` : '';
    throw new CliError(`${message ?? `the registry answered HTTP ${res.status}`}${hint}`);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text.trim() };
  }
}
