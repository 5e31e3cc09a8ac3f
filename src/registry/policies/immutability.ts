// Tag immutability (Harbor's): a tag matching a project's immutability rule can be pushed once,
// then never moved to another digest nor deleted, by a client or by retention. Pushing the same
// digest to it again is allowed, so re-running a push is harmless. Enforced as a registry guard,
// asked before anything is written.

import type { Store } from '../../store/index.js';
import type { AdminRoutes } from '../admin/admin.js';
import { RegistryError } from '../distribution/errors.js';
import type { RegistryGuard } from './guards.js';
import { projectNamed, setProjectPolicy } from './project-policies.js';
import { projectOf } from '../admin/projects.js';
import { describeImmutabilityRule, immutableBy, parseImmutabilityRules } from './tag-rules.js';
import type { ImmutabilityRule } from '../../types/index.js';

function rulesFor(store: Store, repository: string): readonly ImmutabilityRule[] | undefined {
  return store.view((tx) => tx.registryProjects.byName(projectOf(repository)))?.Spec.Immutability;
}

function refuse(rules: readonly ImmutabilityRule[], index: number, repository: string, tag: string, what: string): never {
  throw new RegistryError(
    'DENIED',
    403,
    `tag ${repository}:${tag} is immutable (${describeImmutabilityRule(rules[index]!, index)} of project ${projectOf(repository)}): it cannot be ${what}. ` +
      'Push under a new tag, or ask a project administrator to change the rule.',
    { repository, tag, rule: index + 1 },
  );
}

export function immutabilityGuard(store: Store): RegistryGuard {
  return {
    async manifestPut({ repository, tag, currentTagDigest, digest }) {
      if (!tag || !currentTagDigest || currentTagDigest === digest.text) return;
      const rules = rulesFor(store, repository);
      const index = immutableBy(rules, repository, tag);
      if (index >= 0) refuse(rules!, index, repository, tag, `moved from ${currentTagDigest} to ${digest.text}`);
    },
    async delete({ repository, tags }) {
      const rules = rulesFor(store, repository);
      for (const tag of tags) {
        const index = immutableBy(rules, repository, tag);
        if (index >= 0) refuse(rules!, index, repository, tag, 'deleted');
      }
    },
  };
}

/** GET/PUT /projects/{name}/immutability: the project's rules, as {"Rules": [...]}. */
export const immutabilityRoutes: AdminRoutes = (app, ctx) => {
  app.get<{ Params: { name: string } }>('/projects/:name/immutability', async (request) => {
    await ctx.guard(request, { project: request.params.name, resource: 'immutable-tag', action: 'list' });
    return { Rules: projectNamed(ctx.store, request.params.name).Spec.Immutability ?? [] };
  });
  app.put<{ Params: { name: string } }>('/projects/:name/immutability', async (request) => {
    await ctx.guard(request, { project: request.params.name, resource: 'immutable-tag', action: 'update' });
    const rules = parseImmutabilityRules(request.body);
    setProjectPolicy(ctx.store, request.params.name, 'Immutability', rules);
    return { Rules: rules };
  });
};
