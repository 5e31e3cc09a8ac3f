// Registry logins of `berth login`: one JSON file, mode 0600, under ~/.berth (or
// $BERTH_CONFIG_DIR), holding each registry's URL and credentials and which one was used last.

import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { isLoopback, parseListen } from '../../common/listen.js';
import { InvalidArgumentError } from '../../types/index.js';

export const DEFAULT_REGISTRY = '127.0.0.1:5000';

export interface RegistryLogin {
  url: string;
  username: string;
  password: string;
}

export interface AuthFile {
  /** The registry of the last login: the default for --registry. */
  current?: string;
  registries: Record<string, RegistryLogin>;
}

export const configDir = (env: NodeJS.ProcessEnv = process.env): string => env.BERTH_CONFIG_DIR || join(homedir(), '.berth');
const authPath = (): string => join(configDir(), 'registry-auth.json');

export async function readAuthFile(): Promise<AuthFile> {
  try {
    const parsed = JSON.parse(await readFile(authPath(), 'utf8')) as Partial<AuthFile>;
    return { current: parsed.current, registries: parsed.registries ?? {} };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { registries: {} };
    throw new InvalidArgumentError(`cannot read ${authPath()}: ${(err as Error).message}; remove it and log in again`);
  }
}

export async function writeAuthFile(file: AuthFile): Promise<void> {
  await mkdir(configDir(), { recursive: true, mode: 0o700 });
  const tmp = `${authPath()}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, authPath());
}

/**
 * registryUrl turns `HOST:PORT` or a URL into the registry's base URL and its key (host:port).
 * Without a scheme, loopback means plain HTTP (as the registry serves it there) and anything
 * else HTTPS (the registry refuses to serve off loopback without TLS).
 */
export function registryUrl(text: string): { key: string; url: string } {
  const m = /^(https?):\/\/([^/]+)\/?$/.exec(text);
  const hostport = m ? m[2]! : text;
  const invalid = (): InvalidArgumentError => new InvalidArgumentError(`invalid registry "${text}": use HOST:PORT, e.g. ${DEFAULT_REGISTRY}, or https://HOST:PORT`);
  let addr;
  try {
    addr = parseListen(/:\d+$/.test(hostport) ? hostport : `${hostport}:${m?.[1] === 'http' ? 80 : 443}`, DEFAULT_REGISTRY);
  } catch {
    throw invalid();
  }
  if (!addr.host || addr.host.includes('/')) throw invalid();
  const key = `${addr.host.includes(':') ? `[${addr.host}]` : addr.host}:${addr.port}`;
  const scheme = m?.[1] ?? (isLoopback(addr.host) ? 'http' : 'https');
  return { key, url: `${scheme}://${key}` };
}
