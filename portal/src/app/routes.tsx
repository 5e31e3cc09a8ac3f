// Every page, tab and filter is a URL under /ui/: a link shared is the view seen.

import { createBrowserRouter } from 'react-router';
import { Shell } from './Shell';
import { LoginPage } from '../pages/LoginPage';
import { DashboardPage } from '../pages/DashboardPage';
import { NotFoundPage } from '../pages/NotFoundPage';

// Pages past the first screen load when opened: the first screen's script stays small.
const page = (load: () => Promise<{ default: React.ComponentType }>) => async () => ({ Component: (await load()).default });

export const router = createBrowserRouter(
  [
    { path: '/login', Component: LoginPage },
    {
      path: '/',
      Component: Shell,
      // The first page of a lazy route loads before it renders: show nothing rather than warn.
      HydrateFallback: () => null,
      children: [
        { index: true, Component: DashboardPage },
        { path: 'nodes', lazy: page(() => import('../pages/nodes/NodesPage')) },
        { path: 'nodes/:id', lazy: page(() => import('../pages/nodes/NodePage')) },
        { path: 'services', lazy: page(() => import('../pages/services/ServicesPage')) },
        { path: 'services/new', lazy: page(() => import('../pages/services/CreateServicePage')) },
        { path: 'services/:id/edit', lazy: page(() => import('../pages/services/EditServicePage')) },
        { path: 'services/:id', lazy: page(() => import('../pages/services/ServicePage')) },
        { path: 'logs', lazy: page(() => import('../pages/logs/LogsPage')) },
        { path: 'secrets', lazy: page(() => import('../pages/objects/SecretsPage')) },
        { path: 'configs', lazy: page(() => import('../pages/objects/ConfigsPage')) },
        { path: 'networks', lazy: page(() => import('../pages/objects/NetworksPage')) },
        { path: 'account', lazy: page(() => import('../pages/account/AccountPage')) },
        { path: 'admin/:tab?', lazy: page(() => import('../pages/admin/AdminPage')) },
        { path: 'registry', lazy: page(() => import('../pages/registry/RegistryPage')) },
        { path: 'registry/replication', lazy: page(() => import('../pages/registry/ReplicationPage')) },
        { path: 'registry/gc', lazy: page(() => import('../pages/registry/GcPage')) },
        { path: 'registry/projects/:name', lazy: page(() => import('../pages/registry/ProjectPage')) },
        { path: 'registry/projects/:name/repositories/*', lazy: page(() => import('../pages/registry/RepositoryPage')) },
        { path: 'stacks', lazy: page(() => import('../pages/stacks/StacksPage')) },
        { path: 'stacks/new', lazy: page(() => import('../pages/stacks/DeployStackPage')) },
        { path: 'stacks/:name/edit', lazy: page(() => import('../pages/stacks/DeployStackPage')) },
        { path: 'stacks/:name', lazy: page(() => import('../pages/stacks/StackPage')) },
        { path: 'containers', lazy: page(() => import('../pages/containers/ContainersPage')) },
        { path: 'containers/:id', lazy: page(() => import('../pages/containers/ContainerPage')) },
        { path: '*', Component: NotFoundPage },
      ],
    },
  ],
  { basename: '/ui' },
);
