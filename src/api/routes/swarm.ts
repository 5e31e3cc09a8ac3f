// /swarm: inspect and update the cluster object, which a Berth manager creates on its first
// start. init, join and leave are how a Docker daemon enters or quits a swarm; a Berth manager
// always is one and agents join through the dispatcher, so those routes say what to do instead.

import type { FastifyInstance } from 'fastify';
import { InvalidArgumentError, UnavailableError } from '../../types/index.js';
import type { Cluster } from '../../types/index.js';
import type { ReadTx, Store } from '../../store/index.js';
import { joinToken } from '../../common/tokens.js';
import { boolParam, versionParam } from '../http/http.js';
import { apiSwarm } from '../present/present.js';
import { mergeSwarmSpec, validateSwarmSpec } from '../validate/validate-swarm.js';
import { applyAutolock, unlockKey } from './autolock.js';

const HOW_TO_JOIN = 'other machines join it with `berth swarm join --token TOKEN HOST:2377` (the line `docker swarm join-token worker` prints, with berth in place of docker)';

export function swarmRoutes(app: FastifyInstance, store: Store, opts: { minCertExpiryNs?: number } = {}): void {
  app.get('/swarm', () => apiSwarm(store.view(currentCluster)));

  app.post<{ Querystring: Record<string, string | undefined> }>('/swarm/update', (request, reply) => {
    const version = versionParam(request.query.version, 'swarm');
    const given = validateSwarmSpec(request.body);
    const rotateWorker = boolParam(request.query.rotateWorkerToken);
    const rotateManager = boolParam(request.query.rotateManagerToken);
    const rotateUnlockKey = boolParam(request.query.rotateManagerUnlockKey);
    store.update((tx) => {
      const cluster = currentCluster(tx);
      const root = cluster.BerthCA?.RootCert;
      if ((rotateWorker || rotateManager) && !root) throw new UnavailableError('the cluster has no root CA yet: restart the manager to create it');
      // A new token only gates new joins: nodes that joined keep authenticating with their certificates.
      const spec = mergeSwarmSpec(cluster.Spec, given, opts.minCertExpiryNs);
      checkSeveralManagers(tx, cluster.Spec, spec);
      const updated = tx.clusters.update({
        ...cluster,
        Version: { Index: version },
        Spec: spec,
        JoinTokens: {
          Worker: rotateWorker ? joinToken(root!) : cluster.JoinTokens.Worker,
          Manager: rotateManager ? joinToken(root!) : cluster.JoinTokens.Manager,
        },
      });
      applyAutolock(tx, updated.Spec, rotateUnlockKey);
    });
    return reply.code(200).send();
  });

  // Without autolock the Engine answers an empty key, and the CLI says "no unlock key is set".
  app.get('/swarm/unlockkey', () => ({ UnlockKey: store.view((tx) => (currentCluster(tx), unlockKey(tx))) }));

  app.post('/swarm/init', () => {
    throw new UnavailableError(
      `This node is already part of a swarm: a Berth manager creates its swarm when it first starts, so there is nothing to initialise; ${HOW_TO_JOIN}`,
    );
  });

  app.post('/swarm/join', () => {
    throw new UnavailableError(`This node is already part of a swarm: it is the Berth manager; ${HOW_TO_JOIN}`);
  });

  app.post('/swarm/leave', () => {
    throw new InvalidArgumentError(
      'a Berth manager does not leave its swarm through the API: stop it with Ctrl-C (or SIGTERM to `berth up` / `berth manager`), its state stays in its data directory. ' +
        'To take a worker out, stop its agent and run `docker node rm NODE` once the node is down',
    );
  });
}

/**
 * checkSeveralManagers refuses what acts on one manager's data directory only, while there are
 * several (on etcd): a root rotation keeps the next root's key where it starts. See docs/ha.md, "Limits".
 */
function checkSeveralManagers(tx: ReadTx, before: Cluster['Spec'], after: Cluster['Spec']): void {
  const managers = tx.nodes.list().filter((n) => n.BerthManagerOnly && n.Spec.Role === 'manager').length;
  if (managers < 2) return;
  if ((after.CAConfig?.ForceRotate ?? 0) !== (before.CAConfig?.ForceRotate ?? 0)) {
    throw new InvalidArgumentError(`can't rotate the root CA with ${managers} managers yet: the next root's key would stay on one of them. Demote the others (docker node demote), rotate, then join them again (docs/ha.md)`);
  }
}

function currentCluster(tx: ReadTx): Cluster {
  const cluster = tx.cluster();
  if (!cluster) throw new UnavailableError('this manager has no swarm yet: it creates one when it starts');
  return cluster;
}
