// A task's mounts are checked on the node before its container is created, with Swarm's texts:
// the spec's shape as Swarm's executor checks it (moby daemon/cluster/executor/container/
// validate.go), then that every bind source exists on this host, as Docker does for a bind in
// HostConfig.Mounts (volume/mounts/linux_parser.go).
//
// The check is what keeps a stack file from writing to the host on Podman: its Docker-compatible
// create makes a directory (mkdir -p) at every absolute mount source it does not find — a bind's,
// and a volume's or a tmpfs's too — whether the mount comes in HostConfig.Mounts or Binds. So
// /var/run/docker.sock, say, would become an empty directory. Docker refuses a missing bind
// source given in Mounts (Berth's form) and creates one given in Binds.

import { stat } from 'node:fs/promises';
import { posix } from 'node:path';
import type { Mount } from '../../types/index.js';
import { TaskError } from '../engine/engine-errors.js';

/** validateMounts refuses what Swarm's executor refuses, with its words (the task is REJECTED). */
export function validateMounts(mounts: readonly Mount[]): void {
  for (const m of mounts) {
    const target = m.Target ?? '';
    const source = m.Source ?? '';
    if (!posix.isAbsolute(target)) throw new TaskError(`invalid mount target, must be an absolute path: ${target}`);
    // Berth's container config reads a mount without a type as a volume. Sources are checked
    // both ways: engines take an absolute volume source for a host path.
    switch (m.Type ?? 'volume') {
      case 'bind':
        if (!posix.isAbsolute(source)) throw new TaskError(`invalid bind mount source, must be an absolute path: ${source}`);
        break;
      case 'volume':
        if (posix.isAbsolute(source)) throw new TaskError(`invalid volume mount source, must not be an absolute path: ${source}`);
        break;
      case 'tmpfs':
        if (source !== '') throw new TaskError('invalid tmpfs source, source must be empty');
        break;
      default:
        throw new TaskError(`invalid mount type: ${m.Type}`);
    }
  }
}

/**
 * checkBindSources refuses a bind whose source this host does not have, following symlinks (a
 * link to a missing path is missing), as Docker does. It runs right before the create: a source
 * removed in the moment between would still be made by Podman.
 */
export async function checkBindSources(mounts: readonly { Type?: string; Source?: string }[]): Promise<void> {
  for (const m of mounts) {
    if (m.Type !== 'bind' || !m.Source) continue;
    try {
      await stat(m.Source);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ENOENT') throw new TaskError(`invalid mount config for type "bind": bind source path does not exist: ${m.Source}`);
      // Go's form of the error, as Docker reports it: "stat /a/b: not a directory".
      const reason = e.message.replace(/^[A-Z0-9]+: /, '').replace(/, stat '.*'$/, '');
      throw new TaskError(`invalid mount config for type "bind": stat ${m.Source}: ${reason}`);
    }
  }
}
