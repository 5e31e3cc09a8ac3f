// /berth/v1/registry/projects and their members. Any signed-in user may create a project and
// becomes its project admin (Harbor's default); project admins manage members and visibility; a
// project is deleted only while it holds no repository.

import { newId } from '../../common/ids.js';
import { ForbiddenError, InvalidArgumentError, NameConflictError, NotFoundError, type RegistryProject } from '../../types/index.js';
import type { AdminRoutes, Principal } from './admin.js';
import { body, checkProjectName, checkRole, checkUserName, optionalBoolean, projectView } from './account-rules.js';
import { checkTeamName } from '../../users/rules.js';

/** teamRef reads a member path's `team:NAME`; undefined for a user. */
const teamRef = (member: string): string | undefined => (member.startsWith('team:') ? member.slice(5) : undefined);
import { allowedActions, memberRole, robotProject, type Caller } from '../auth/permissions.js';
import { callerOf as lookUp } from '../auth/credentials.js';
import { repositoriesOf } from '../storage/repositories.js';
import { projectNotFound } from './projects.js';

type NameParams = { Params: { name: string } };
type MemberParams = { Params: { name: string; user: string } };

export const projectRoutes: AdminRoutes = (app, { store, guard, driver }) => {
  const callerOf = (me: Principal): Caller => me.caller ?? lookUp(store, me.name);
  /** The project as its caller sees it: with their role in it, as Harbor's current_user_role_id, so a client offers only what they may do. */
  const viewFor = (caller: Caller, p: RegistryProject) => {
    const role = memberRole(caller, p);
    return { ...projectView(p), ...(role && { CurrentUserRole: role }) };
  };
  const find = (name: string): RegistryProject => {
    const project = store.view((tx) => tx.registryProjects.byName(name));
    if (!project) throw projectNotFound(name);
    return project;
  };
  /** change re-reads the project inside the write, so concurrent edits never lose each other's change. */
  const change = (name: string, edit: (p: RegistryProject) => RegistryProject['Spec']): RegistryProject =>
    store.update((tx) => {
      const current = tx.registryProjects.byName(name);
      if (!current) throw projectNotFound(name);
      return tx.registryProjects.update({ ...current, Spec: edit(current) });
    });

  app.post('/projects', async (request, reply) => {
    const me = await guard(request, { authenticated: true });
    if (me.robot) throw new ForbiddenError('robot accounts cannot create projects: log in as a user');
    const b = body(request);
    const name = checkProjectName(b.Name);
    const isPublic = optionalBoolean(b.Public, 'Public') ?? false;
    let quota = -1;
    if (b.QuotaBytes !== undefined) {
      if (!Number.isSafeInteger(b.QuotaBytes) || (b.QuotaBytes as number) < -1) throw new InvalidArgumentError('QuotaBytes: use a whole number of bytes, or -1 for no limit');
      if (!me.admin && b.QuotaBytes !== -1) throw new ForbiddenError('QuotaBytes: only a system administrator may set a project quota');
      quota = b.QuotaBytes as number;
    }
    const project = store.update((tx) =>
      tx.registryProjects.create({
        ID: newId(),
        Version: { Index: 0 },
        CreatedAt: '',
        UpdatedAt: '',
        Spec: { Name: name, Public: isPublic, Members: [{ User: me.name, Role: 'projectAdmin' }], QuotaBytes: quota },
      }),
    );
    return reply.code(201).send(viewFor(callerOf(me), project));
  });

  app.get('/projects', async (request) => {
    const me = await guard(request, { authenticated: true });
    const caller = callerOf(me);
    const all = store.view((tx) => tx.registryProjects.list());
    const visible = me.admin ? all : all.filter((p) => p.Spec.Public || p.Spec.Members.some((m) => m.User === me.name) || allowedActions(caller, p).length > 0);
    return visible.map((p) => viewFor(caller, p)).sort((a, b) => a.Name.localeCompare(b.Name));
  });

  app.get<NameParams>('/projects/:name', async (request) => {
    const me = await guard(request, { project: request.params.name, resource: 'project', action: 'read' });
    return viewFor(callerOf(me), find(request.params.name));
  });

  app.put<NameParams>('/projects/:name', async (request) => {
    const me = await guard(request, { project: request.params.name, resource: 'project', action: 'update' });
    const b = body(request);
    const unknown = Object.keys(b).filter((k) => k !== 'Public');
    if (unknown.length > 0) throw new InvalidArgumentError(`${unknown.join(', ')}: only Public can be changed here`);
    const isPublic = optionalBoolean(b.Public, 'Public');
    return viewFor(callerOf(me), change(request.params.name, (p) => ({ ...p.Spec, ...(isPublic !== undefined && { Public: isPublic }) })));
  });

  app.delete<NameParams>('/projects/:name', async (request, reply) => {
    await guard(request, { project: request.params.name, resource: 'project', action: 'delete' });
    const name = request.params.name;
    find(name);
    const repositories = await repositoriesOf(driver, name);
    if (repositories.length > 0) {
      throw new ForbiddenError(`project ${name} still holds repositories (${repositories.join(', ')}): delete their images first (skopeo delete), then delete the project`);
    }
    store.update((tx) => {
      const project = tx.registryProjects.byName(name);
      if (!project) throw projectNotFound(name);
      tx.registryProjects.delete(project.ID);
      // Its robots go with it; system robots lose their permissions on it.
      for (const r of tx.registryRobots.list()) {
        if (robotProject(r.Spec.Name) === name) tx.registryRobots.delete(r.ID);
        else if (r.Spec.Permissions.some((p) => p.Project === name)) {
          tx.registryRobots.update({ ...r, Spec: { ...r.Spec, Permissions: r.Spec.Permissions.filter((p) => p.Project !== name) } });
        }
      }
    });
    return reply.code(204).send();
  });

  app.get<NameParams>('/projects/:name/members', async (request) => {
    await guard(request, { project: request.params.name, resource: 'member', action: 'list' });
    const p = find(request.params.name);
    return [...p.Spec.Members, ...(p.Spec.Teams ?? [])];
  });

  // A member is a user ({"User"}) or a platform team ({"Team"}: every member of it has the role);
  // in paths a team is `team:NAME` (a user name has no ':').
  app.post<NameParams>('/projects/:name/members', async (request, reply) => {
    await guard(request, { project: request.params.name, resource: 'member', action: 'create' });
    const b = body(request);
    const role = checkRole(b.Role);
    if (b.Team !== undefined) {
      const team = checkTeamName(b.Team, 'Team');
      if (!store.view((tx) => tx.teams.byName(team))) throw new NotFoundError(`Team: team ${team} does not exist: create it first (berth team create)`);
      const project = change(request.params.name, (p) => {
        if ((p.Spec.Teams ?? []).some((t) => t.Team === team)) throw new NameConflictError(`team ${team} is already a member of ${p.Spec.Name}: change the role with PUT .../members/team:${team}`);
        return { ...p.Spec, Teams: [...(p.Spec.Teams ?? []), { Team: team, Role: role }] };
      });
      return reply.code(201).send([...project.Spec.Members, ...(project.Spec.Teams ?? [])]);
    }
    const user = checkUserName(b.User, 'User');
    if (!store.view((tx) => tx.users.byName(user))) throw new NotFoundError(`User: user ${user} does not exist: create it first (berth user create)`);
    const project = change(request.params.name, (p) => {
      if (p.Spec.Members.some((m) => m.User === user)) throw new NameConflictError(`${user} is already a member of ${p.Spec.Name}: change the role with PUT .../members/${user}`);
      return { ...p.Spec, Members: [...p.Spec.Members, { User: user, Role: role }] };
    });
    return reply.code(201).send([...project.Spec.Members, ...(project.Spec.Teams ?? [])]);
  });

  app.put<MemberParams>('/projects/:name/members/:user', async (request) => {
    await guard(request, { project: request.params.name, resource: 'member', action: 'update' });
    const role = checkRole(body(request).Role);
    const { user } = request.params;
    const team = teamRef(user);
    const p = change(request.params.name, (p) => {
      if (team !== undefined) {
        if (!(p.Spec.Teams ?? []).some((t) => t.Team === team)) throw new NotFoundError(`team ${team} is not a member of ${p.Spec.Name}: add it with berth project member add --team`);
        return { ...p.Spec, Teams: p.Spec.Teams!.map((t) => (t.Team === team ? { Team: team, Role: role } : t)) };
      }
      if (!p.Spec.Members.some((m) => m.User === user)) throw new NotFoundError(`${user} is not a member of ${p.Spec.Name}: add it with berth project member add`);
      return { ...p.Spec, Members: p.Spec.Members.map((m) => (m.User === user ? { User: user, Role: role } : m)) };
    });
    return [...p.Spec.Members, ...(p.Spec.Teams ?? [])];
  });

  app.delete<MemberParams>('/projects/:name/members/:user', async (request, reply) => {
    await guard(request, { project: request.params.name, resource: 'member', action: 'delete' });
    const { user } = request.params;
    const team = teamRef(user);
    change(request.params.name, (p) => {
      if (team !== undefined) {
        if (!(p.Spec.Teams ?? []).some((t) => t.Team === team)) throw new NotFoundError(`team ${team} is not a member of ${p.Spec.Name}`);
        return { ...p.Spec, Teams: p.Spec.Teams!.filter((t) => t.Team !== team) };
      }
      if (!p.Spec.Members.some((m) => m.User === user)) throw new NotFoundError(`${user} is not a member of ${p.Spec.Name}`);
      return { ...p.Spec, Members: p.Spec.Members.filter((m) => m.User !== user) };
    });
    return reply.code(204).send();
  });
};
