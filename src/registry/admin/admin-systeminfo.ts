// GET /berth/v1/registry/systeminfo: how clients name this registry in image references (Harbor's
// systeminfo registry_url), so a client shows pull commands that work; to anyone signed in.

import type { AdminRoutes } from './admin.js';

export interface SystemInfo {
  /** HOST:PORT, as image references name the registry. */
  RegistryUrl: string;
  /** The same with its scheme (https, or http on loopback). */
  ExternalUrl: string;
}

export function systemInfoRoutes(info: () => SystemInfo): AdminRoutes {
  return (app, { guard }) => {
    app.get('/systeminfo', async (request) => {
      await guard(request, { authenticated: true });
      return info();
    });
  };
}
