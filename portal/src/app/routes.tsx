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
        { path: 'stacks', lazy: page(() => import('../pages/stacks/StacksPage')) },
        { path: 'stacks/new', lazy: page(() => import('../pages/stacks/DeployStackPage')) },
        { path: 'stacks/:name/edit', lazy: page(() => import('../pages/stacks/DeployStackPage')) },
        { path: 'stacks/:name', lazy: page(() => import('../pages/stacks/StackPage')) },
        { path: '*', Component: NotFoundPage },
      ],
    },
  ],
  { basename: '/ui' },
);
