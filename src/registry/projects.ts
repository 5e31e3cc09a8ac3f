// Which project a repository belongs to: its first path component, as in Harbor. A one-component
// name (`nginx`) belongs to `library`, as Docker Hub reads `nginx` as `library/nginx`.

export const DEFAULT_PROJECT = 'library';

export function projectOf(repository: string): string {
  const slash = repository.indexOf('/');
  return slash < 0 ? DEFAULT_PROJECT : repository.slice(0, slash);
}
