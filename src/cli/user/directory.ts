// `berth team ...`, `berth token ...` and the manager's side of `berth login`, `berth logout` and
// `berth user`: clients of /berth/v1/{login,logout,tokens,teams,users} on the manager API.

import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { ApiClient, forgetManagerSession, readManagerSessions, resolveHost, saveManagerSession } from './client.js';
import { CliError, contextOf, run, type Context } from './context.js';
import { formatTable } from './table.js';

interface TeamView {
  Name: string;
  Members: { User: string; Role: string }[];
  Stacks: string[];
  Groups: { Group: string; Role: string }[];
}

interface TokenView {
  ID: string;
  User: string;
  Kind: string;
  Name: string;
  Role: string;
  ExpiresAt: string;
  CreatedAt: string;
}

export interface UserView {
  Name: string;
  Email: string;
  Role: string;
  Disabled: boolean;
  Source: string;
  CreatedAt: string;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** members reads --member USER[:ROLE] (role operator unless given). */
function members(values: string[] | undefined): { User: string; Role: string }[] | undefined {
  return values?.map((v) => {
    const [user, role = 'operator'] = v.split(':');
    return { User: user!, Role: role };
  });
}

export function registerDirectoryCommands(program: Command): void {
  const team = program.command('team').description("Manage teams: who may see and change which stacks (docs/access.md)");
  team
    .command('ls')
    .alias('list')
    .description('List teams (administrators: all; others: their own)')
    .action((_o: unknown, cmd: Command) =>
      run(cmd, async () => {
        const ctx = contextOf(program);
        const teams = await ctx.client.request<TeamView[]>('GET', '/berth/v1/teams');
        ctx.out(formatTable(['NAME', 'MEMBERS', 'STACKS', 'GROUPS'], teams.map((t) => [t.Name, t.Members.map((m) => `${m.User}:${m.Role}`).join(','), t.Stacks.join(','), t.Groups.map((g) => `${g.Group}:${g.Role}`).join(',')])));
      }),
    );
  const teamOptions = (c: Command): Command =>
    c
      .option('--member <user[:role]>', 'a member and their role in the team: viewer, operator (default) or lead; repeat for several', collect)
      .option('--stack <name>', 'a stack the team owns; repeat for several', collect)
      .option('--group <group[:role]>', 'an OIDC group whose members belong to the team; repeat for several', collect);
  type TeamOpts = { member?: string[]; stack?: string[]; group?: string[] };
  const teamBody = (o: TeamOpts) => ({
    ...(o.member && { Members: members(o.member) }),
    ...(o.stack && { Stacks: o.stack }),
    ...(o.group && { Groups: members(o.group)!.map((g) => ({ Group: g.User, Role: g.Role })) }),
  });
  teamOptions(team.command('create').description('Create a team (administrators)').argument('<name>')).action((name: string, o: TeamOpts, cmd: Command) =>
    run(cmd, async () => {
      const ctx = contextOf(program);
      await ctx.client.request('POST', '/berth/v1/teams', {}, { Name: name, ...teamBody(o) });
      ctx.out(`${name}\n`);
    }),
  );
  teamOptions(team.command('update').description("Replace a team's members (administrators, or the team's lead), stacks or groups (administrators)").argument('<name>')).action((name: string, o: TeamOpts, cmd: Command) =>
    run(cmd, async () => {
      const ctx = contextOf(program);
      await ctx.client.request('POST', `/berth/v1/teams/${encodeURIComponent(name)}/update`, {}, teamBody(o));
      ctx.out(`${name}\n`);
    }),
  );
  team
    .command('inspect')
    .description('Show a team as JSON')
    .argument('<name>')
    .action((name: string, _o: unknown, cmd: Command) => run(cmd, async () => json(contextOf(program), await contextOf(program).client.request('GET', `/berth/v1/teams/${encodeURIComponent(name)}`))));
  team
    .command('rm')
    .alias('remove')
    .description('Delete teams (administrators)')
    .argument('<name...>')
    .action((names: string[], _o: unknown, cmd: Command) =>
      run(cmd, async () => {
        const ctx = contextOf(program);
        for (const name of names) {
          await ctx.client.request('DELETE', `/berth/v1/teams/${encodeURIComponent(name)}`);
          ctx.out(`${name}\n`);
        }
      }),
    );

  const token = program.command('token').description('Personal access tokens for the manager API (CI, scripts): shown once, revocable');
  token
    .command('create')
    .description('Create a token for yourself; it is printed once')
    .argument('<name>')
    .option('--role <role>', 'the most it may do: viewer, operator or admin (default and at most: your own role)')
    .option('--expires <duration>', 'how long it lasts (default 720h, at most 8784h)')
    .action((name: string, o: { role?: string; expires?: string }, cmd: Command) =>
      run(cmd, async () => {
        const ctx = contextOf(program);
        const made = await ctx.client.request<TokenView & { Token: string }>('POST', '/berth/v1/tokens', {}, { Name: name, ...(o.role && { Role: o.role }), ...(o.expires && { ExpiresIn: o.expires }) });
        ctx.out(`${made.Token}\n`);
      }),
    );
  token
    .command('ls')
    .alias('list')
    .description('List your tokens and sessions (administrators: everyone\'s, or --user)')
    .option('--user <name>', "one user's (administrators)")
    .action((o: { user?: string }, cmd: Command) =>
      run(cmd, async () => {
        const ctx = contextOf(program);
        const tokens = await ctx.client.request<TokenView[]>('GET', '/berth/v1/tokens', o.user ? { user: o.user } : {});
        ctx.out(formatTable(['ID', 'USER', 'KIND', 'NAME', 'ROLE', 'EXPIRES'], tokens.map((t) => [t.ID, t.User, t.Kind, t.Name, t.Role || '-', t.ExpiresAt || 'never'])));
      }),
    );
  token
    .command('revoke')
    .alias('rm')
    .description('Revoke tokens or sessions at once')
    .argument('<id...>')
    .action((ids: string[], _o: unknown, cmd: Command) =>
      run(cmd, async () => {
        const ctx = contextOf(program);
        for (const id of ids) {
          await ctx.client.request('DELETE', `/berth/v1/tokens/${encodeURIComponent(id)}`);
          ctx.out(`${id}\n`);
        }
      }),
    );
}

function json(ctx: Context, value: unknown): void {
  ctx.out(`${JSON.stringify(value, null, 2)}\n`);
}

/** managerNamed: whether `berth user` should go to a manager — one is named, or runs on this machine. */
export function managerNamed(program: Command, env: NodeJS.ProcessEnv = process.env): boolean {
  if (program.opts<{ host?: string }>().host || env.BERTH_HOST || /^(tcp|unix):\/\//.test(env.DOCKER_HOST ?? '')) return true;
  return resolveHost(undefined, env).startsWith('unix://');
}

/** The manager's `berth user` commands (registry/users.ts sends them here when a manager is named). */
export const managerUsers = {
  async list(program: Command): Promise<UserView[]> {
    return contextOf(program).client.request<UserView[]>('GET', '/berth/v1/users');
  },
  async create(program: Command, body: Record<string, unknown>): Promise<void> {
    await contextOf(program).client.request('POST', '/berth/v1/users', {}, body);
  },
  async update(program: Command, name: string, body: Record<string, unknown>): Promise<void> {
    await contextOf(program).client.request('POST', `/berth/v1/users/${encodeURIComponent(name)}/update`, {}, body);
  },
  async remove(program: Command, name: string): Promise<void> {
    await contextOf(program).client.request('DELETE', `/berth/v1/users/${encodeURIComponent(name)}`);
  },
  async passwd(program: Command, name: string | undefined, password: string, old: string | undefined): Promise<string> {
    const client = contextOf(program).client;
    const target = name ?? (await client.request<{ User: string }>('GET', '/berth/v1/whoami')).User;
    await client.request('PUT', `/berth/v1/users/${encodeURIComponent(target)}/password`, {}, { Password: password, ...(old !== undefined && { OldPassword: old }) });
    return target;
  },
};

/**
 * loginToManager starts a session with a user's password and keeps it for that manager (mode
 * 0600). Over TLS the manager is verified with ca.pem from DOCKER_CERT_PATH (default ~/.docker).
 */
export async function loginToManager(program: Command, user: string, password: string): Promise<string> {
  const host = resolveHost(program.opts<{ host?: string }>().host, process.env);
  const url = new URL(host);
  if (url.protocol === 'unix:') throw new CliError(`${host} is this machine's unix socket: it needs no login (root only); name a manager's TCP address with --host https://HOST:PORT`);
  const caFile = join(process.env.DOCKER_CERT_PATH || join(homedir(), '.docker'), 'ca.pem');
  const ca = existsSync(caFile) ? readFileSync(caFile) : undefined;
  const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({ host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port || 7420, method: 'POST', path: '/berth/v1/login', ...(ca && { ca }), headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on('error', (err) => reject(new CliError(`cannot reach the manager at ${host} (${(err as NodeJS.ErrnoException).code ?? err.message})${ca ? '' : `: to verify it, put the cluster's ca.pem in ${dirname(caFile)}`}`)));
    req.end(JSON.stringify({ Username: user, Password: password }));
  });
  const body = JSON.parse(answer.body || '{}') as { Token?: string; ExpiresAt?: string; message?: string };
  if (answer.status !== 200 || !body.Token) throw new CliError(body.message ?? `the manager answered HTTP ${answer.status}`);
  saveManagerSession(host, { token: body.Token, user, expiresAt: body.ExpiresAt ?? '' });
  return host;
}

/** logoutOfManager ends the saved session for the manager and forgets it. */
export async function logoutOfManager(program: Command): Promise<string> {
  const host = resolveHost(program.opts<{ host?: string }>().host, process.env);
  if (!readManagerSessions()[host]) return host;
  await new ApiClient(host).request('POST', '/berth/v1/logout').catch(() => undefined);
  forgetManagerSession(host);
  return host;
}
