// Which repositories a project holds, read from storage: every name below `repositories/<project>/`
// with content of its own, and for `library` also the one-component names (`nginx`). A
// one-component name is library's even when it is another project's name (projects.ts).

import { paths, REPOSITORIES } from './paths.js';
import { DEFAULT_PROJECT, projectOf } from '../admin/projects.js';
import type { StorageDriver } from './storage-driver.js';

const holdsContent = (children: string[]): boolean => children.some((c) => c.startsWith('_'));

/** repositoriesOf lists up to `limit` repositories of the project, by name (enough to name them in a refusal, or to list them). */
export async function repositoriesOf(driver: StorageDriver, project: string, limit = 20): Promise<string[]> {
  const found: string[] = [];
  const walk = async (name: string): Promise<void> => {
    const children = await driver.list(paths.repository(name));
    if (holdsContent(children) && projectOf(name) === project) found.push(name);
    for (const c of children) if (!c.startsWith('_') && found.length < limit) await walk(`${name}/${c}`);
  };
  if (project === DEFAULT_PROJECT) {
    for (const top of await driver.list(REPOSITORIES)) {
      if (top !== DEFAULT_PROJECT && found.length < limit && holdsContent(await driver.list(paths.repository(top)))) found.push(top);
    }
  }
  await walk(project);
  return found.slice(0, limit).sort();
}
