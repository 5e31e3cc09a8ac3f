// The node's identity on disk: its key and certificate from the cluster CA, the roots it trusts,
// and the managers it talks to. Written at join, at each renewal and when the leader or the
// managers change, atomically, key mode 0600.

import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../common/files.js';
import { identityOf } from '../../common/pki.js';
import { X509Certificate } from 'node:crypto';
import { validManagers } from './managers.js';

export interface Identity {
  nodeId: string;
  clusterId: string;
  /** HOST:PORT of the cluster port tried first: the leader when last seen. */
  manager: string;
  /** The cluster ports of every manager as the leader last named them, the leader first. */
  managers: string[];
  /** The cluster port the node joined through (or `--join` last named): tried last. */
  joined: string;
  cert: string;
  key: string;
  /** Root CA certificates to trust (PEM bundle). */
  rootCA: string;
}

const dirOf = (stateDir: string): string => join(stateDir, 'certificates');

export function loadIdentity(stateDir: string): Identity | undefined {
  const dir = dirOf(stateDir);
  try {
    const saved = JSON.parse(readFileSync(join(stateDir, 'node.json'), 'utf8')) as { manager?: string; managers?: unknown; joined?: string };
    const cert = readFileSync(join(dir, 'node.crt'), 'utf8');
    const subject = identityOf(new X509Certificate(cert).subject);
    return {
      nodeId: subject.commonName,
      clusterId: subject.cluster,
      manager: saved.manager ?? '',
      managers: validManagers(saved.managers) ?? [],
      joined: saved.joined ?? saved.manager ?? '',
      cert,
      key: readFileSync(join(dir, 'node.key'), 'utf8'),
      rootCA: readFileSync(join(dir, 'swarm-root-ca.crt'), 'utf8'),
    };
  } catch {
    return undefined;
  }
}

/** The node id an earlier agent (of any version) left in the state dir, if any. */
export function previousNodeId(stateDir: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(stateDir, 'node.json'), 'utf8')) as { nodeId?: string }).nodeId || undefined;
  } catch {
    return undefined;
  }
}

export function saveIdentity(stateDir: string, id: Identity): void {
  const dir = dirOf(stateDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // The key first: a certificate on disk always has its key beside it.
  writeFileAtomic(join(dir, 'node.key'), id.key, 0o600);
  writeFileAtomic(join(dir, 'node.crt'), id.cert, 0o644);
  writeFileAtomic(join(dir, 'swarm-root-ca.crt'), id.rootCA, 0o644);
  writeFileAtomic(join(stateDir, 'node.json'), JSON.stringify({ nodeId: id.nodeId, manager: id.manager, managers: id.managers, joined: id.joined }), 0o600);
}

/** forgetIdentity drops the certificate and key of a node that left the cluster; node.json keeps its id for the next agent. */
export function forgetIdentity(stateDir: string): void {
  rmSync(dirOf(stateDir), { recursive: true, force: true });
}
