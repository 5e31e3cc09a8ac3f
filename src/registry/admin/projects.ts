// Which project a repository belongs to: its first path component, as in Harbor. A one-component
// name (`nginx`) belongs to `library`, as Docker Hub reads `nginx` as `library/nginx`.

import { NotFoundError } from '../../types/index.js';

export const DEFAULT_PROJECT = 'library';

/** The one answer of the admin API for a project that is not there. */
export function projectNotFound(name: string): NotFoundError {
  return new NotFoundError(`project ${name} does not exist: list projects with berth project ls, or create it with berth project create ${name}`);
}

export function projectOf(repository: string): string {
  const slash = repository.indexOf('/');
  return slash < 0 ? DEFAULT_PROJECT : repository.slice(0, slash);
}
