// Reading and replacing one of a project's policies (retention, immutability) in Berth's store,
// for the admin routes that manage them.

import type { Store } from '../../store/index.js';
import type { RegistryProject, RegistryProjectSpec } from '../../types/index.js';
import { projectNotFound } from '../admin/projects.js';

export function projectNamed(store: Store, name: string): RegistryProject {
  const project = store.view((tx) => tx.registryProjects.byName(name));
  if (!project) throw projectNotFound(name);
  return project;
}

/** setProjectPolicy replaces one policy field of a project in one transaction. */
export function setProjectPolicy<K extends 'Retention' | 'Immutability'>(store: Store, name: string, field: K, value: RegistryProjectSpec[K]): void {
  store.update((tx) => {
    const project = tx.registryProjects.byName(name);
    if (!project) throw projectNotFound(name);
    tx.registryProjects.update({ ...project, Spec: { ...project.Spec, [field]: value } });
  });
}
