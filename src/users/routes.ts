// The directory on the manager API: /berth/v1/users (administrators; anyone their own password)
// and /berth/v1/teams (administrators; a team's lead its members; members see their teams).
// Users are the registry's too: a registry alone serves Harbor's view of them on its own port.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { newId } from '../common/ids.js';
import type { Store, Tx } from '../store/index.js';
import { ForbiddenError, InvalidArgumentError, NotFoundError, type Caller, type Team, type TeamMember, type User } from '../types/index.js';
import type { LoginLimiter } from './login-limit.js';
import { checkPassword, hashPassword, verifyPassword } from './passwords.js';
import { body as objectBody, checkClusterRole, checkTeamName, checkTeamRole, checkUserName, optionalBoolean, optionalString, teamView, userView } from './rules.js';
import { sessionRoutes } from './session-routes.js';

export interface DirectoryOptions {
  store: Store;
  /** Who is calling and from where (resolved by the API's access layer; through a follower, its client). */
  callerOf(request: FastifyRequest): Caller & { Source: string };
}

type ByName = { Params: { name: string } };

export function directoryRoutes(app: FastifyInstance, opts: DirectoryOptions & { limiter: LoginLimiter }): void {
  sessionRoutes(app, opts);
  userRoutes(app, opts);
  teamRoutes(app, opts);
}

const missingUser = (name: string) => new NotFoundError(`user ${name} not found: list users with berth user ls`);

function userRoutes(app: FastifyInstance, { store, callerOf }: DirectoryOptions): void {
  app.get('/berth/v1/users', async () => store.view((tx) => tx.users.list()).map(userView).sort((a, b) => a.Name.localeCompare(b.Name)));

  app.get<ByName>('/berth/v1/users/:name', async (request) => {
    const user = store.view((tx) => tx.users.byName(request.params.name));
    if (!user) throw missingUser(request.params.name);
    return userView(user);
  });

  app.post('/berth/v1/users', async (request, reply) => {
    const b = objectBody(request);
    const name = checkUserName(b.Name);
    const role = checkClusterRole(b.Role ?? '');
    const email = optionalString(b.Email, 'Email', 255);
    const hash = await hashPassword(checkPassword(b.Password));
    const user = store.update((tx) => {
      if (tx.users.byName(name)) throw new InvalidArgumentError(`Name: user ${name} already exists`);
      return tx.users.create({ ID: newId(), Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: { Name: name, PasswordHash: hash, ...(role && { Role: role }), ...(email && { Email: email }) } });
    });
    return reply.code(201).send(userView(user));
  });

  app.post<ByName>('/berth/v1/users/:name/update', async (request) => {
    const b = objectBody(request);
    const role = b.Role === undefined ? undefined : { value: checkClusterRole(b.Role) };
    const disabled = optionalBoolean(b.Disabled, 'Disabled');
    const email = optionalString(b.Email, 'Email', 255);
    const me = callerOf(request).User;
    return userView(
      store.update((tx) => {
        const user = tx.users.byName(request.params.name);
        if (!user) throw missingUser(request.params.name);
        const spec = { ...user.Spec };
        if (role) {
          if (role.value) spec.Role = role.value;
          else delete spec.Role;
        }
        if (disabled !== undefined) spec.Disabled = disabled;
        if (email !== undefined) spec.Email = email;
        if (user.Spec.Role === 'admin' && (spec.Role !== 'admin' || spec.Disabled)) keepAnAdmin(tx, user, me);
        return tx.users.update({ ...user, Spec: spec });
      }),
    );
  });

  app.delete<ByName>('/berth/v1/users/:name', async (request, reply) => {
    const me = callerOf(request).User;
    store.update((tx) => {
      const user = tx.users.byName(request.params.name);
      if (!user) throw missingUser(request.params.name);
      if (user.Spec.Role === 'admin') keepAnAdmin(tx, user, me);
      removeUser(tx, user);
    });
    return reply.code(204).send();
  });

  app.put<ByName>('/berth/v1/users/:name/password', async (request, reply) => {
    const caller = callerOf(request);
    const name = request.params.name;
    const self = caller.User === name && (caller.Auth === 'certificate' || caller.Auth === 'token' || caller.Auth === 'session');
    if (!self && caller.Role !== 'admin') throw new ForbiddenError(`only an administrator may change the password of ${name}; you are ${caller.User}`);
    const b = objectBody(request);
    const password = checkPassword(b.Password);
    const user = store.view((tx) => tx.users.byName(name));
    if (!user) throw missingUser(name);
    if (self && caller.Role !== 'admin') {
      if (typeof b.OldPassword !== 'string') throw new InvalidArgumentError('OldPassword: give your current password to change your own');
      if (!(await verifyPassword(b.OldPassword, user.Spec.PasswordHash ?? ''))) throw new ForbiddenError('OldPassword: that is not your current password');
    }
    const hash = await hashPassword(password);
    store.update((tx) => {
      const current = tx.users.byName(name);
      if (!current) throw missingUser(name);
      tx.users.update({ ...current, Spec: { ...current.Spec, PasswordHash: hash } });
    });
    return reply.code(204).send();
  });
}

/** keepAnAdmin refuses to remove the last enabled administrator, or one's own admin rights. */
function keepAnAdmin(tx: Tx, user: User, me: string): void {
  if (user.Spec.Name === me) throw new ForbiddenError('you cannot remove, disable or demote your own account: ask another administrator');
  if (tx.users.list().filter((u) => u.Spec.Role === 'admin' && !u.Spec.Disabled).length <= 1) {
    throw new ForbiddenError(`user ${user.Spec.Name} is the last administrator: make another user an administrator first`);
  }
}

/** removeUser deletes a user with their tokens and memberships, and revokes the certificates issued to them (a later user of that name inherits none). */
export function removeUser(tx: Tx, user: User): void {
  const name = user.Spec.Name;
  for (const t of tx.apiTokens.byUser(name)) tx.apiTokens.delete(t.ID);
  for (const team of tx.teams.list()) {
    if (team.Spec.Members.some((m) => m.User === name)) tx.teams.update({ ...team, Spec: { ...team.Spec, Members: team.Spec.Members.filter((m) => m.User !== name) } });
  }
  // Registry memberships go with the user, as in Harbor (a manager without the registry's kinds has none).
  for (const p of tx.registryProjects?.list() ?? []) {
    if (p.Spec.Members.some((m) => m.User === name)) tx.registryProjects.update({ ...p, Spec: { ...p.Spec, Members: p.Spec.Members.filter((m) => m.User !== name) } });
  }
  const now = new Date().toISOString();
  // A registry alone has no certificates.
  for (const c of tx.clientCertificates?.list() ?? []) {
    if (c.Spec.User === name && !c.Revoked) tx.clientCertificates.update({ ...c, Revoked: now });
  }
  tx.users.delete(user.ID);
}

function teamRoutes(app: FastifyInstance, { store, callerOf }: DirectoryOptions): void {
  const visible = (caller: Caller, team: Team): boolean => caller.Role === 'admin' || caller.Teams.some((t) => t.Team === team.Spec.Name);
  const find = (tx: { teams: { byName(n: string): Team | undefined } }, caller: Caller, name: string): Team => {
    const team = tx.teams.byName(name);
    // A team one is not in is as unknown as a missing one.
    if (!team || !visible(caller, team)) throw new NotFoundError(`team ${name} not found: list yours with berth team ls`);
    return team;
  };

  app.get('/berth/v1/teams', async (request) => {
    const caller = callerOf(request);
    return store.view((tx) => tx.teams.list()).filter((t) => visible(caller, t)).map(teamView).sort((a, b) => a.Name.localeCompare(b.Name));
  });

  app.get<ByName>('/berth/v1/teams/:name', async (request) => teamView(store.view((tx) => find(tx, callerOf(request), request.params.name))));

  app.post('/berth/v1/teams', async (request, reply) => {
    const b = objectBody(request);
    const name = checkTeamName(b.Name);
    const team = store.update((tx) => {
      if (tx.teams.byName(name)) throw new InvalidArgumentError(`Name: team ${name} already exists`);
      const spec = { Name: name, Members: members(tx, b.Members ?? []), Stacks: stacks(b.Stacks ?? []), ...(b.Groups !== undefined && { Groups: groups(b.Groups) }) };
      return tx.teams.create({ ID: newId(), Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: spec });
    });
    return reply.code(201).send(teamView(team));
  });

  app.post<ByName>('/berth/v1/teams/:name/update', async (request) => {
    const caller = callerOf(request);
    const b = objectBody(request);
    return teamView(
      store.update((tx) => {
        const team = find(tx, caller, request.params.name);
        const lead = caller.Teams.some((t) => t.Team === team.Spec.Name && t.Role === 'lead');
        if (caller.Role !== 'admin') {
          if (!lead) throw new ForbiddenError(`only an administrator or a lead of team ${team.Spec.Name} may change it`);
          if (b.Stacks !== undefined || b.Groups !== undefined) throw new ForbiddenError(`a team's lead changes its Members; what it owns (Stacks, Groups) an administrator sets`);
        }
        const spec = { ...team.Spec };
        if (b.Members !== undefined) spec.Members = members(tx, b.Members);
        if (b.Stacks !== undefined) spec.Stacks = stacks(b.Stacks);
        if (b.Groups !== undefined) spec.Groups = groups(b.Groups);
        return tx.teams.update({ ...team, Spec: spec });
      }),
    );
  });

  app.delete<ByName>('/berth/v1/teams/:name', async (request, reply) => {
    store.update((tx) => {
      const team = tx.teams.byName(request.params.name);
      if (!team) throw new NotFoundError(`team ${request.params.name} not found`);
      // Its registry project roles go with it.
      for (const p of tx.registryProjects?.list() ?? []) {
        if (p.Spec.Teams?.some((t) => t.Team === team.Spec.Name)) tx.registryProjects.update({ ...p, Spec: { ...p.Spec, Teams: p.Spec.Teams.filter((t) => t.Team !== team.Spec.Name) } });
      }
      tx.teams.delete(team.ID);
    });
    return reply.code(204).send();
  });
}

const MAX_ENTRIES = 1000;

function members(tx: Tx, value: unknown): TeamMember[] {
  if (!Array.isArray(value) || value.length > MAX_ENTRIES) throw new InvalidArgumentError(`Members: a list of at most ${MAX_ENTRIES} {"User": NAME, "Role": "viewer"|"operator"|"lead"}`);
  const seen = new Set<string>();
  return value.map((m: { User?: unknown; Role?: unknown }, i) => {
    const user = checkUserName(m?.User, `Members[${i}].User`);
    if (!tx.users.byName(user)) throw new InvalidArgumentError(`Members[${i}].User: user ${user} does not exist: create it first (berth user create)`);
    if (seen.has(user)) throw new InvalidArgumentError(`Members[${i}].User: ${user} is listed twice`);
    seen.add(user);
    return { User: user, Role: checkTeamRole(m?.Role, `Members[${i}].Role`) };
  });
}

function stacks(value: unknown): string[] {
  if (!Array.isArray(value) || value.length > MAX_ENTRIES || value.some((s) => typeof s !== 'string' || !/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/.test(s))) {
    throw new InvalidArgumentError(`Stacks: a list of stack names (as docker stack deploy takes them, e.g. shop)`);
  }
  return [...new Set(value as string[])];
}

function groups(value: unknown): Array<{ Group: string; Role: TeamMember['Role'] }> {
  if (!Array.isArray(value) || value.length > MAX_ENTRIES) throw new InvalidArgumentError('Groups: a list of {"Group": OIDC_GROUP, "Role": "viewer"|"operator"|"lead"}');
  return value.map((g: { Group?: unknown; Role?: unknown }, i) => {
    if (typeof g?.Group !== 'string' || g.Group.length === 0 || g.Group.length > 255) throw new InvalidArgumentError(`Groups[${i}].Group: the group's name as the provider's groups claim says it`);
    return { Group: g.Group, Role: checkTeamRole(g.Role, `Groups[${i}].Role`) };
  });
}
