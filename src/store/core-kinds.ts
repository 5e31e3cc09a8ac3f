// The kinds every manager store holds: Swarm's objects (the autolock key among them, written by
// the API and followed by every manager), and the pull logins that the API stores
// and the dispatcher hands to agents (both read them, neither owns the other, and src/types and
// src/common may not import the store, so the store registers them itself).

import type { Cluster, Config, ManagerUnlockKey, Network, Node, RegistryCredential, Secret, Service, ServiceRegistryAuth, Task } from '../types/index.js';
import { defineKind } from './kinds.js';

declare module './kinds.js' {
  interface KindTypes {
    node: { object: Node; accessor: 'nodes' };
    service: { object: Service; accessor: 'services'; named: true };
    task: { object: Task; accessor: 'tasks'; indexes: 'byService' | 'byNode' };
    cluster: { object: Cluster; accessor: 'clusters' };
    secret: { object: Secret; accessor: 'secrets'; named: true };
    config: { object: Config; accessor: 'configs'; named: true };
    network: { object: Network; accessor: 'networks'; named: true };
    registryCredential: { object: RegistryCredential; accessor: 'registryCredentials'; named: true };
    serviceRegistryAuth: { object: ServiceRegistryAuth; accessor: 'serviceRegistryAuths' };
    managerUnlockKey: { object: ManagerUnlockKey; accessor: 'managerUnlockKeys' };
  }
}

defineKind({ kind: 'node', accessor: 'nodes' });
defineKind({ kind: 'service', accessor: 'services', named: true });
defineKind({ kind: 'task', accessor: 'tasks', indexes: { byService: (t) => t.ServiceID, byNode: (t) => t.NodeID || undefined } });
defineKind({ kind: 'cluster', accessor: 'clusters' });
defineKind({ kind: 'secret', accessor: 'secrets', named: true, sealed: true });
defineKind({ kind: 'config', accessor: 'configs', named: true });
defineKind({ kind: 'network', accessor: 'networks', named: true });
defineKind({ kind: 'registryCredential', accessor: 'registryCredentials', named: true, sealed: true });
defineKind({ kind: 'serviceRegistryAuth', accessor: 'serviceRegistryAuths', sealed: true });
defineKind({ kind: 'managerUnlockKey', accessor: 'managerUnlockKeys', sealed: true });
