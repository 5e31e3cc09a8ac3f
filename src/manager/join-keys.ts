// What a manager joining with the manager token keeps from the answer: the cluster's store key
// and root CA (the same files the first manager made), and its node ID. A data dir that already
// holds other keys is refused: it belongs to another cluster, and its sealed rows would be lost.

import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { saveRoot } from '../ca/index.js';
import { writeFileAtomic } from '../common/files.js';
import { parseStoreKey, STORE_KEY_FILE } from '../store/index.js';
import { InvalidArgumentError, type ManagerKeys } from '../types/index.js';
import { hasManagerNode, saveManagerNodeId } from './manager-node.js';

/** joinedBefore tells whether this data dir already belongs to a manager that joined (or made) a cluster on etcd. */
export function joinedBefore(dataDir: string): boolean {
  return hasManagerNode(dataDir);
}

/** keepManagerKeys writes a joining manager's keys and node ID into its data dir. */
export function keepManagerKeys(dataDir: string, nodeId: string, keys: ManagerKeys | undefined): void {
  if (!keys || typeof keys.storeKey !== 'string' || typeof keys.rootCert !== 'string' || typeof keys.rootKey !== 'string') {
    throw new InvalidArgumentError('the manager accepted the join but sent no keys: join with the manager token (`docker swarm join-token manager`), to a manager on etcd');
  }
  parseStoreKey(keys.storeKey, 'the store key the manager sent');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const storeKey = join(dataDir, STORE_KEY_FILE);
  if (existsSync(storeKey) && readFileSync(storeKey, 'utf8').trim() !== keys.storeKey.trim()) {
    throw new InvalidArgumentError(`${dataDir} already holds another cluster's keys: give the joining manager an empty --data-dir`);
  }
  writeFileAtomic(storeKey, keys.storeKey.trim() + '\n', 0o600);
  saveRoot(join(dataDir, 'certificates'), keys.rootCert, keys.rootKey);
  saveManagerNodeId(dataDir, nodeId);
}
