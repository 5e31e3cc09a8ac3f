// What the signed-in user may do in a registry project, by the registry's own rules (Harbor's
// project roles: src/registry/auth/project-rights.ts and permissions.ts). A cluster admin is the
// registry's system administrator; everyone else acts by their role in the project (the API
// names it: CurrentUserRole). The pages offer only this; the registry still refuses the rest.

import type { ProjectRole, RegistryProject } from './registry-types';
import type { Whoami } from './types';

const RANK: Record<ProjectRole, number> = { guest: 0, developer: 1, maintainer: 2, projectAdmin: 3 };

export interface ProjectRights {
  /** See its repositories and pull (a public project: anyone signed in). */
  pull: boolean;
  /** Delete tags. */
  deleteTags: boolean;
  /** See members, project robots and the quota. */
  seeMembers: boolean;
  /** Change members and visibility, manage robots and webhooks, delete the project. */
  administer: boolean;
  /** See and run the retention policy, and change it. */
  retention: boolean;
  /** Change the immutability rules and see webhooks. */
  maintain: boolean;
  /** Set quotas, run garbage collection and replication: the system administrator's. */
  system: boolean;
}

export const isRegistryAdmin = (who: Whoami | undefined): boolean => who?.Role === 'admin';

export function projectRights(who: Whoami | undefined, project: Pick<RegistryProject, 'Public' | 'CurrentUserRole'>): ProjectRights {
  const system = isRegistryAdmin(who);
  const rank = project.CurrentUserRole ? RANK[project.CurrentUserRole] : -1;
  const at = (role: ProjectRole): boolean => system || rank >= RANK[role];
  return {
    pull: project.Public || at('guest'),
    deleteTags: at('maintainer'),
    seeMembers: at('guest'),
    administer: at('projectAdmin'),
    retention: at('developer'),
    maintain: at('maintainer'),
    system,
  };
}
