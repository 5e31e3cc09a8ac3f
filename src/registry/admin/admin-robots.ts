// /berth/v1/registry/robots: robot accounts as Harbor has them. A project robot
// (`robot$<project>+<name>`) is managed by the project's admins and acts only there; a system
// robot (`robot$<name>`) by system administrators, with permissions on any projects ("*" = all).
// The secret is returned once, at creation; only its hash is kept.

import { newId } from '../../common/ids.js';
import { InvalidArgumentError, NotFoundError, type RegistryRobot, type RobotPermission } from '../../types/index.js';
import type { AdminRoutes, Need } from './admin.js';
import type { ResourceAction } from '../auth/project-rights.js';
import { body, checkActions, checkProjectName, checkRobotName, optionalBoolean, optionalString, robotView } from './account-rules.js';
import { hashSecret, randomSecret } from '../../users/passwords.js';
import { robotProject } from '../auth/permissions.js';
import { projectNotFound } from './projects.js';

type NameParams = { Params: { name: string } };
const MAX_DAYS = 36500;

export const robotRoutes: AdminRoutes = (app, { store, guard }) => {
  /** A project robot's rights are its project's (Harbor's robot resource); a system robot's, system administrators'. */
  const needFor = (project: string | undefined, action: ResourceAction): Need => (project ? { project, resource: 'robot', action } : { admin: true });
  const find = (name: string): RegistryRobot => {
    const robot = store.view((tx) => tx.registryRobots.byName(name));
    if (!robot) throw new NotFoundError(`robot account ${name} does not exist: list robots with berth robot ls`);
    return robot;
  };

  app.post('/robots', async (request, reply) => {
    const b = body(request);
    const project = b.Project === undefined ? undefined : checkProjectName(b.Project, 'Project');
    // Who may create it depends only on the project, so callers learn about rights before fields.
    await guard(request, needFor(project, 'create'));
    const short = checkRobotName(b.Name);
    let permissions: RobotPermission[];
    if (project) {
      permissions = [{ Project: project, Actions: checkActions(b.Actions, 'Actions') }];
    } else {
      if (!Array.isArray(b.Permissions) || b.Permissions.length === 0) {
        throw new InvalidArgumentError('Permissions: a system robot needs a list of {"Project": NAME or "*", "Actions": [...]} (or give Project and Actions for a project robot)');
      }
      permissions = b.Permissions.map((p: { Project?: unknown; Actions?: unknown }, i: number) => ({
        Project: p?.Project === '*' ? '*' : checkProjectName(p?.Project, `Permissions[${i}].Project`),
        Actions: checkActions(p?.Actions, `Permissions[${i}].Actions`),
      }));
    }
    const description = optionalString(b.Description, 'Description');
    let expiresAt: string | undefined;
    if (b.ExpiresInDays !== undefined && b.ExpiresInDays !== -1) {
      const days = b.ExpiresInDays;
      if (!Number.isSafeInteger(days) || (days as number) < 1 || (days as number) > MAX_DAYS) throw new InvalidArgumentError(`ExpiresInDays: use a whole number of days from 1 to ${MAX_DAYS}, or -1 for never`);
      expiresAt = new Date(Date.now() + (days as number) * 86_400_000).toISOString();
    }
    const name = project ? `robot$${project}+${short}` : `robot$${short}`;
    for (const p of permissions) {
      if (p.Project !== '*' && !store.view((tx) => tx.registryProjects.byName(p.Project))) throw new NotFoundError(`Permissions: ${projectNotFound(p.Project).message}`);
    }
    const secret = randomSecret();
    const robot = store.update((tx) =>
      tx.registryRobots.create({
        ID: newId(),
        Version: { Index: 0 },
        CreatedAt: '',
        UpdatedAt: '',
        Spec: { Name: name, SecretHash: hashSecret(secret), Disabled: false, Permissions: permissions, ...(description && { Description: description }), ...(expiresAt && { ExpiresAt: expiresAt }) },
      }),
    );
    return reply.code(201).send({ ...robotView(robot), Secret: secret });
  });

  app.get<{ Querystring: { project?: string } }>('/robots', async (request) => {
    const project = request.query.project === undefined ? undefined : checkProjectName(request.query.project, 'project');
    await guard(request, needFor(project, 'list'));
    const all = store.view((tx) => tx.registryRobots.list());
    return all.filter((r) => !project || robotProject(r.Spec.Name) === project).map(robotView).sort((a, b) => a.Name.localeCompare(b.Name));
  });

  app.put<NameParams>('/robots/:name', async (request) => {
    const name = request.params.name;
    await guard(request, needFor(robotProject(name), 'update'));
    const b = body(request);
    const unknown = Object.keys(b).filter((k) => k !== 'Disabled');
    if (unknown.length > 0) throw new InvalidArgumentError(`${unknown.join(', ')}: only Disabled can be changed; create a new robot for other permissions`);
    const disabled = optionalBoolean(b.Disabled, 'Disabled');
    find(name);
    return robotView(
      store.update((tx) => {
        const current = tx.registryRobots.byName(name);
        if (!current) throw new NotFoundError(`robot account ${name} does not exist`);
        return tx.registryRobots.update({ ...current, Spec: { ...current.Spec, ...(disabled !== undefined && { Disabled: disabled }) } });
      }),
    );
  });

  app.delete<NameParams>('/robots/:name', async (request, reply) => {
    const name = request.params.name;
    await guard(request, needFor(robotProject(name), 'delete'));
    const robot = find(name);
    store.update((tx) => tx.registryRobots.delete(robot.ID));
    return reply.code(204).send();
  });
};
