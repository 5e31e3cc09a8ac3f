// /berth/v1/stacks: stacks deployed by the server from a compose file (docs/stacks.md). List and
// inspect show the docker CLI's stacks too; deploy converts the file as `docker stack deploy`
// does and applies it as one transaction (?dryRun=true answers the plan and applies nothing);
// remove takes everything the stack has, as `docker stack rm`. A team member deploys, sees and
// removes only their teams' stacks, and every object goes through the Engine routes' checks.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { visibleTo, writeCheckOf } from '../common/request-scope.js';
import { isObj } from '../common/is-object.js';
import type { Store } from '../store/index.js';
import { ForbiddenError, InvalidArgumentError, NotFoundError } from '../types/index.js';
import { deployStack, removeStack, type DeployResult } from './apply.js';
import { convertCompose } from './compose/convert.js';
import { NAMESPACE_LABEL } from './compose/service.js';
import type { Guard, StackEngine } from './engine.js';
import { listStacks, stackDetail } from './list.js';

export interface StackOptions {
  store: Store;
  engine: StackEngine;
}

type ByName = { Params: { name: string } };

/** The docker CLI's rule (no whitespace, no dots), kept to what a service name can start with. */
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_-]{0,62}$/;
/** A compose file is text of a few KiB; the API's 1 MiB body limit holds it and its variables. */
const MAX_ENV = 1000;

export function stackRoutes(app: FastifyInstance, { store, engine }: StackOptions): void {
  app.get('/berth/v1/stacks', async (request) => {
    const visible = visibleTo(request);
    return store.view((tx) => listStacks(tx, engine, (name) => visible({ [NAMESPACE_LABEL]: name })));
  });

  app.get<ByName>('/berth/v1/stacks/:name', async (request) => {
    const name = request.params.name;
    const detail = visibleTo(request)({ [NAMESPACE_LABEL]: name }) ? store.view((tx) => stackDetail(tx, engine, name)) : undefined;
    if (!detail) throw new NotFoundError(`stack ${name} not found`);
    return detail;
  });

  app.post<{ Querystring: { dryRun?: string } }>('/berth/v1/stacks', async (request) => {
    const dryRun = request.query.dryRun === 'true' || request.query.dryRun === '1';
    const { name, compose, env } = deployBody(request.body);
    const guard = guardOf(request, name);
    try {
      return store.update((tx) => {
        // A redeploy without Env keeps the variables of the last one.
        const vars = env ?? tx.stacks.byName(name)?.Spec.Env ?? {};
        const result = deployStack(tx, engine, guard, { name, compose, env: vars }, convertCompose(name, compose, vars), dryRun);
        // Undone as a failed transaction is: nothing is written, no watcher sees anything.
        if (dryRun) throw new DryRun(result);
        return result;
      });
    } catch (err) {
      if (err instanceof DryRun) return err.result;
      throw err;
    }
  });

  app.delete<ByName>('/berth/v1/stacks/:name', async (request) => {
    const name = request.params.name;
    const guard = guardOf(request, name);
    return { Name: name, Changes: store.update((tx) => removeStack(tx, engine, guard, name)) };
  });

}

/** A dry run's answer, thrown to undo its transaction. */
class DryRun extends Error {
  constructor(readonly result: DeployResult) {
    super('dry run');
  }
}

function deployBody(body: unknown): { name: string; compose: string; env: Record<string, string> | undefined } {
  if (!isObj(body)) throw new InvalidArgumentError('send a JSON object: {"Name": "app", "Compose": "services: ...", "Env": {"TAG": "1.2"}}');
  const { Name: name, Compose: compose, Env: env } = body;
  if (typeof name !== 'string' || !NAME_RE.test(name)) {
    throw new InvalidArgumentError(`Name: invalid stack name ${JSON.stringify(name ?? '')}: 1 to 63 letters, digits, - and _, starting with a letter or digit`);
  }
  if (typeof compose !== 'string' || compose.trim() === '') throw new InvalidArgumentError('Compose: send the compose file as text (YAML)');
  if (env === undefined) return { name, compose, env: undefined };
  if (!isObj(env) || Object.keys(env).length > MAX_ENV || !Object.values(env).every((v) => typeof v === 'string')) {
    throw new InvalidArgumentError(`Env: send the variables as an object of strings ({"TAG": "1.2"}), at most ${MAX_ENV}`);
  }
  return { name, compose, env: env as Record<string, string> };
}

/**
 * The request's limits; a team member must own the stack itself before anything in it is looked
 * at. As the Engine routes answer: another team's stack does not exist; a new one must be theirs.
 */
function guardOf(request: FastifyRequest, name: string): Guard {
  const visible = visibleTo(request);
  if (!visible({ [NAMESPACE_LABEL]: name })) {
    if (request.method === 'DELETE') throw new NotFoundError(`stack ${name} not found`);
    throw new ForbiddenError(`a stack you deploy must belong to your team: stack ${name} is not one your teams own with the operator role (an administrator gives a team its stacks: berth team update TEAM --stack ${name})`);
  }
  return { visible, write: writeCheckOf(request) };
}
