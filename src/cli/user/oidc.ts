// `berth oidc set|show|rm` (an administrator's: the cluster's OpenID Connect provider) and
// `berth oidc login|refresh` (anyone's: the device flow, then a session saved where
// `berth login --manager` saves one, ~/.berth/manager-auth.json, mode 0600, which every berth
// command then uses). Logging in needs no client certificate, only the cluster's CA (ca.pem in
// DOCKER_CERT_PATH) to trust the manager.

import { existsSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { ApiError, managerAuthFile, readManagerSessions, resolveHost, saveManagerSession } from './client.js';
import { CliError, run } from './context.js';

interface Session {
  Token: string;
  ExpiresAt: string;
  User: string;
}
interface DeviceStart {
  UserCode: string;
  VerificationUri: string;
  VerificationUriComplete: string;
  Interval: number;
  ExpiresAt: string;
  Handle: string;
}

/** call sends one request to the manager: over the unix socket, or TLS trusting DOCKER_CERT_PATH's ca.pem (with its client certificate when there is one). */
function call<T>(host: string, method: string, path: string, body?: unknown, token?: string): Promise<T> {
  const url = new URL(host.replace(/^tcp:/, 'https:'));
  const dir = process.env.DOCKER_CERT_PATH || join(homedir(), '.docker');
  const file = (name: string) => (existsSync(join(dir, name)) ? readFileSync(join(dir, name)) : undefined);
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) };
  const options =
    url.protocol === 'unix:'
      ? { socketPath: url.pathname, path, method, headers }
      : { host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port || 7420, path, method, headers, ...(url.protocol === 'https:' && { ca: file('ca.pem'), cert: file('cert.pem'), key: file('key.pem') }) };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(options, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => {
        const json = text ? (JSON.parse(text) as unknown) : undefined;
        if ((res.statusCode ?? 500) < 300) return resolve(json as T);
        const message = (json as { message?: unknown } | undefined)?.message;
        reject(new ApiError(res.statusCode ?? 500, typeof message === 'string' ? message : `the manager answered HTTP ${res.statusCode}`));
      });
    });
    req.on('error', (err) => reject(new CliError(`cannot reach the Berth manager at ${host} (${err.message}): point to it with --host URL or BERTH_HOST`)));
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

function save(host: string, session: Session): void {
  saveManagerSession(host, { token: session.Token, user: session.User, expiresAt: session.ExpiresAt });
}

/** oidcLogin runs the device flow against the manager (`berth oidc login`, `berth login --manager --oidc`) and keeps the session. */
export async function oidcLogin(program: Command): Promise<void> {
  const h = resolveHost(program.opts<{ host?: string }>().host, process.env);
  const out = (text: string) => program.configureOutput().writeOut?.(text);
  const start = await call<DeviceStart>(h, 'POST', '/berth/v1/oidc/device');
  out(`Open ${start.VerificationUriComplete || start.VerificationUri} and enter the code ${start.UserCode}\n`);
  let interval = start.Interval;
  while (Date.now() < Date.parse(start.ExpiresAt)) {
    await sleep(interval * 1000);
    try {
      const session = await call<Session>(h, 'POST', '/berth/v1/oidc/device/token', { Handle: start.Handle });
      save(h, session);
      return out(`Logged in as ${session.User} until ${session.ExpiresAt} (berth oidc refresh renews it)\n`);
    } catch (err) {
      if (err instanceof ApiError && err.message.startsWith('authorization_pending')) continue;
      if (err instanceof ApiError && err.message.startsWith('slow_down')) interval += 5;
      else throw err;
    }
  }
  throw new CliError('the code expired before the login was approved: run berth oidc login again');
}

export function registerOidcCommands(program: Command): void {
  const host = () => resolveHost(program.opts<{ host?: string }>().host, process.env);
  const out = (text: string) => program.configureOutput().writeOut?.(text);
  const oidc = program.command('oidc').description("Log in through the cluster's OpenID Connect provider, or set it up (administrators)");

  oidc
    .command('set')
    .description('Set the OpenID Connect provider (register https://MANAGER/berth/v1/oidc/callback as its redirect URI)')
    .requiredOption('--issuer <url>', 'issuer URL (https; http only on loopback)')
    .requiredOption('--client-id <id>', 'the client ID the provider gave this cluster')
    .option('--client-secret-stdin', 'read the client secret from stdin (required the first time, and when the issuer changes)')
    .option('--scopes <scopes>', 'space-separated scopes (default "openid profile email groups")')
    .option('--groups-claim <claim>', 'the claim that lists the groups (default groups)')
    .option('--username-claim <claim>', 'the claim that names a new user (default preferred_username, else email)')
    .action((opts: { issuer: string; clientId: string; clientSecretStdin?: boolean; scopes?: string; groupsClaim?: string; usernameClaim?: string }, cmd: Command) =>
      run(cmd, async () => {
        const secret = opts.clientSecretStdin ? readFileSync(0, 'utf8').trim() : undefined;
        const body = { Issuer: opts.issuer, ClientId: opts.clientId, ClientSecret: secret, Scopes: opts.scopes, GroupsClaim: opts.groupsClaim, UsernameClaim: opts.usernameClaim };
        const saved = await call<Record<string, string>>(host(), 'PUT', '/berth/v1/oidc', body);
        out(`OIDC provider ${saved.Issuer} set (client ${saved.ClientId})\n`);
      }),
    );

  oidc
    .command('show')
    .description('Show the OpenID Connect provider (never its secret)')
    .action((_opts: unknown, cmd: Command) => run(cmd, async () => out(`${JSON.stringify(await call(host(), 'GET', '/berth/v1/oidc'), null, 2)}\n`)));

  oidc
    .command('rm')
    .description('Turn OpenID Connect off: its sessions end, the users it made stay')
    .action((_opts: unknown, cmd: Command) => run(cmd, async () => {
      await call(host(), 'DELETE', '/berth/v1/oidc');
      out('OIDC turned off\n');
    }));

  oidc
    .command('login')
    .description(`Log in through the provider from this terminal (device flow); the session is saved in ${managerAuthFile()}`)
    .action((_opts: unknown, cmd: Command) => run(cmd, () => oidcLogin(program)));

  oidc
    .command('refresh')
    .description('Renew the saved session (and the groups the provider gives you)')
    .action((_opts: unknown, cmd: Command) =>
      run(cmd, async () => {
        const h = host();
        const saved = readManagerSessions()[h];
        if (!saved) throw new CliError(`no saved session for ${h} in ${managerAuthFile()}: log in with berth oidc login`);
        const session = await call<Session>(h, 'POST', '/berth/v1/oidc/refresh', undefined, saved.token);
        save(h, session);
        out(`Session of ${session.User} renewed until ${session.ExpiresAt}\n`);
      }),
    );
}
