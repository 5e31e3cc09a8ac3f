// The registry's store objects (its projects, robots, webhooks and replication), kept in
// the manager's store under `berth up` and in registry.db alone. Imported by index.ts and by
// registry.ts, which opens the store of a registry alone.

import { defineKind } from '../store/index.js';
import '../users/kinds.js';
import type { RegistryEndpoint, RegistryProject, RegistryRobot, RegistryWebhook, ReplicationPolicy, ReplicationRun } from '../types/index.js';

declare module '../store/index.js' {
  interface KindTypes {
    registryProject: { object: RegistryProject; accessor: 'registryProjects'; named: true };
    registryRobot: { object: RegistryRobot; accessor: 'registryRobots'; named: true };
    registryEndpoint: { object: RegistryEndpoint; accessor: 'registryEndpoints'; named: true };
    replicationPolicy: { object: ReplicationPolicy; accessor: 'replicationPolicies'; named: true };
    replicationRun: { object: ReplicationRun; accessor: 'replicationRuns' };
    registryWebhook: { object: RegistryWebhook; accessor: 'registryWebhooks' };
  }
}

// Robots hold only secret hashes, but hashes too are kept out of a copied file. Users are the
// platform's (src/users/kinds.ts), imported here so a registry alone holds them too.
defineKind({ kind: 'registryProject', accessor: 'registryProjects', named: true });
defineKind({ kind: 'registryRobot', accessor: 'registryRobots', named: true, sealed: true });
defineKind({ kind: 'registryEndpoint', accessor: 'registryEndpoints', named: true, sealed: true });
defineKind({ kind: 'replicationPolicy', accessor: 'replicationPolicies', named: true });
defineKind({ kind: 'replicationRun', accessor: 'replicationRuns' });
defineKind({ kind: 'registryWebhook', accessor: 'registryWebhooks', sealed: true });
