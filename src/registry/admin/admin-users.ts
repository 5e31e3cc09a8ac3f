// /berth/v1/registry/users: Harbor's view of the platform's users (src/users), for a registry that
// runs alone. System administrators create, list, inspect and delete users; every user may change
// their own password (giving the old one), administrators anyone's.

import { newId } from '../../common/ids.js';
import { ForbiddenError, InvalidArgumentError, NotFoundError, type User } from '../../types/index.js';
import type { AdminRoutes } from './admin.js';
import { body, checkUserName, optionalBoolean, optionalString, userView } from './account-rules.js';
import { checkPassword, hashPassword, verifyPassword } from '../../users/passwords.js';
import { removeUser } from '../../users/routes.js';

type NameParams = { Params: { name: string } };

export const userRoutes: AdminRoutes = (app, { store, guard }) => {
  const find = (name: string): User => {
    const user = store.view((tx) => tx.users.byName(name));
    if (!user) throw new NotFoundError(`user ${name} does not exist: list users with berth user ls`);
    return user;
  };

  app.post('/users', async (request, reply) => {
    await guard(request, { admin: true });
    const b = body(request);
    const name = checkUserName(b.Name);
    const password = checkPassword(b.Password);
    const email = optionalString(b.Email, 'Email', 255);
    const admin = optionalBoolean(b.Admin, 'Admin') ?? false;
    const hash = await hashPassword(password);
    const user = store.update((tx) =>
      tx.users.create({ ID: newId(), Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: { Name: name, ...(admin && { Role: 'admin' as const }), PasswordHash: hash, ...(email && { Email: email }) } }),
    );
    return reply.code(201).send(userView(user));
  });

  app.get('/users', async (request) => {
    await guard(request, { admin: true });
    return store.view((tx) => tx.users.list()).map(userView).sort((a, b) => a.Name.localeCompare(b.Name));
  });

  app.get<NameParams>('/users/:name', async (request) => {
    const me = await guard(request, { authenticated: true });
    if (!me.admin && me.name !== request.params.name) throw new ForbiddenError(`only a system administrator may inspect user ${request.params.name}; you are ${me.name}`);
    return userView(find(request.params.name));
  });

  app.delete<NameParams>('/users/:name', async (request, reply) => {
    const me = await guard(request, { admin: true });
    const name = request.params.name;
    if (name === me.name) throw new ForbiddenError('you cannot delete your own account: log in as another system administrator');
    store.update((tx) => {
      const user = tx.users.byName(name);
      if (!user) throw new NotFoundError(`user ${name} does not exist: list users with berth user ls`);
      if (user.Spec.Role === 'admin' && tx.users.list().filter((u) => u.Spec.Role === 'admin').length === 1) {
        throw new ForbiddenError(`user ${name} is the last system administrator: make another user an administrator first`);
      }
      // Memberships, tokens and certificates go with the user (Harbor's memberships do).
      removeUser(tx, user);
    });
    return reply.code(204).send();
  });

  app.put<NameParams>('/users/:name/password', async (request, reply) => {
    const me = await guard(request, { authenticated: true });
    const name = request.params.name;
    const self = me.name === name;
    if (!self && !me.admin) throw new ForbiddenError(`only a system administrator may change the password of ${name}; you are ${me.name}`);
    const b = body(request);
    const password = checkPassword(b.Password);
    const user = find(name);
    if (self) {
      if (typeof b.OldPassword !== 'string') throw new InvalidArgumentError('OldPassword: give your current password to change your own');
      if (!(await verifyPassword(b.OldPassword, user.Spec.PasswordHash ?? ''))) throw new ForbiddenError('OldPassword: that is not your current password');
    }
    const hash = await hashPassword(password);
    store.update((tx) => {
      const current = tx.users.byName(name);
      if (!current) throw new NotFoundError(`user ${name} does not exist`);
      tx.users.update({ ...current, Spec: { ...current.Spec, PasswordHash: hash } });
    });
    return reply.code(204).send();
  });
};
