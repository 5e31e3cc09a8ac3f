// /berth/v1/registry/projects/{name}/repositories: what a project holds — its repositories, a
// repository's artifacts and tags — and deleting a tag, for the portal and clients without
// /v2/_catalog (Harbor's repository and artifact API). Reading takes pull on the project's
// repositories, deleting a tag takes delete: what /v2/ asks for the same. `{repository}` is the
// full name, URL-encoded (`team%2Fapp`): library's `nginx` and `library/nginx` are two repositories.

import { ForbiddenError, InvalidArgumentError, NotFoundError } from '../../types/index.js';
import type { AdminRoutes } from './admin.js';
import { RegistryError } from '../distribution/errors.js';
import { checkName, isTag } from '../distribution/names.js';
import { artifactsOf, summaryOf } from '../storage/artifacts.js';
import { repositoriesOf } from '../storage/repositories.js';
import { projectNotFound, projectOf } from './projects.js';

/** Listed per project; Harbor pages its list, Berth answers this many at most. */
export const MAX_REPOSITORIES = 10_000;

type ProjectParams = { Params: { name: string } };
type RepositoryParams = { Params: { name: string; repository: string } };
type TagParams = { Params: { name: string; repository: string; tag: string } };

export const repositoryRoutes: AdminRoutes = (app, { store, guard, driver, manifests }) => {
  const projectExists = (name: string): void => {
    if (!store.view((tx) => tx.registryProjects.byName(name))) throw projectNotFound(name);
  };
  /** repositoryIn checks the name, that it belongs to the project, and that it holds something. */
  const repositoryIn = async (project: string, repository: string): Promise<string> => {
    try {
      checkName(repository);
    } catch (err) {
      if (err instanceof RegistryError) throw new InvalidArgumentError(`repository: ${err.message}`);
      throw err;
    }
    if (projectOf(repository) !== project) throw new NotFoundError(`repository ${repository} is in project ${projectOf(repository)}, not ${project}: give its full name, URL-encoded (${encodeURIComponent(`${project}/app`)})`);
    if (!(await manifests.exists(repository))) throw new NotFoundError(`repository ${repository} does not exist: push an image to it first`);
    return repository;
  };

  app.get<ProjectParams>('/projects/:name/repositories', async (request) => {
    await guard(request, { project: request.params.name, repository: 'pull' });
    projectExists(request.params.name);
    const names = await repositoriesOf(driver, request.params.name, MAX_REPOSITORIES);
    return Promise.all(names.map((n) => summaryOf(driver, n)));
  });

  app.get<RepositoryParams>('/projects/:name/repositories/:repository/artifacts', async (request) => {
    await guard(request, { project: request.params.name, repository: 'pull' });
    projectExists(request.params.name);
    return artifactsOf(driver, await repositoryIn(request.params.name, request.params.repository));
  });

  app.delete<TagParams>('/projects/:name/repositories/:repository/tags/:tag', async (request, reply) => {
    const { name, tag } = request.params;
    await guard(request, { project: name, repository: 'delete' });
    projectExists(name);
    const repository = await repositoryIn(name, request.params.repository);
    if (!isTag(tag)) throw new InvalidArgumentError(`tag: "${tag.slice(0, 128)}" is not a tag: letters, digits, "_", "." and "-", at most 128, not starting with "." or "-"`);
    try {
      await manifests.deleteTag(repository, tag);
    } catch (err) {
      if (!(err instanceof RegistryError)) throw err;
      if (err.code === 'MANIFEST_UNKNOWN') throw new NotFoundError(`tag ${tag} is not in ${repository}: list its tags with GET .../repositories/${encodeURIComponent(repository)}/artifacts`);
      // An immutable tag: the guard's message names the rule.
      throw new ForbiddenError(err.message);
    }
    return reply.code(204).send();
  });
};
