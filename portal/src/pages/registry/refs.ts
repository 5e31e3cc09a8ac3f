// How the registry pages name things: pull commands, links to a repository, short digests, and
// how much of a quota is used.

import type { Quota } from '../../api/registry-types';

/** pullCommand pulls an artifact by the tag given, else by its digest, from the registry as clients name it. */
export function pullCommand(registry: string, repository: string, ref: { tag?: string; digest: string }): string {
  return `docker pull ${registry}/${repository}${ref.tag ? `:${ref.tag}` : `@${ref.digest}`}`;
}

/** repositoryLink is the portal's page of a repository: its full name as the path's rest (team/app/web). */
export function repositoryLink(project: string, repository: string): string {
  return `/registry/projects/${encodeURIComponent(project)}/repositories/${repository.split('/').map(encodeURIComponent).join('/')}`;
}

export function shortDigest(digest: string): string {
  return digest.replace(/^sha(256|512):/, '').slice(0, 12);
}

/** quotaUse is the share of the quota used, in percent (0–100), or undefined without a quota. */
export function quotaUse(q: Pick<Quota, 'quotaBytes' | 'usedBytes'>): number | undefined {
  if (q.quotaBytes < 0) return undefined;
  if (q.quotaBytes === 0) return q.usedBytes > 0 ? 100 : 0;
  return Math.min(100, (q.usedBytes / q.quotaBytes) * 100);
}
