import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Mount } from '../../types/index.js';
import { TaskError } from '../engine/engine-errors.js';
import { checkBindSources, validateMounts } from './mounts.js';

const refused = (mounts: Mount[], message: string): void =>
  assert.throws(() => validateMounts(mounts), (err: Error) => err instanceof TaskError && err.message === message);

test('validateMounts refuses what Swarm refuses, in its words', () => {
  refused([{ Type: 'bind', Source: '/data', Target: 'data' }], 'invalid mount target, must be an absolute path: data');
  refused([{ Type: 'bind', Source: 'data', Target: '/data' }], 'invalid bind mount source, must be an absolute path: data');
  refused([{ Type: 'bind', Target: '/data' }], 'invalid bind mount source, must be an absolute path: ');
  refused([{ Type: 'volume', Source: '/var/lib/docker/volumes', Target: '/v' }], 'invalid volume mount source, must not be an absolute path: /var/lib/docker/volumes');
  // A mount without a type is a volume (container-config.ts): an absolute source is a host path.
  refused([{ Source: '/etc', Target: '/v' }], 'invalid volume mount source, must not be an absolute path: /etc');
  refused([{ Type: 'tmpfs', Source: '/tmp/x', Target: '/t' }], 'invalid tmpfs source, source must be empty');
  refused([{ Type: 'npipe', Source: '//./pipe/x', Target: '/p' }], 'invalid mount type: npipe');
  validateMounts([
    { Type: 'bind', Source: '/srv', Target: '/srv' },
    { Type: 'volume', Source: 'data', Target: '/data' },
    { Type: 'volume', Target: '/anon' },
    { Type: 'tmpfs', Target: '/tmp' },
  ]);
});

test('checkBindSources refuses a missing source, a dangling symlink and a path through a file; binds that exist pass', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-mounts-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'file');
  await writeFile(file, 'x');
  const dangling = join(dir, 'dangling');
  await symlink(join(dir, 'nowhere'), dangling);
  const linked = join(dir, 'linked');
  await symlink(file, linked);

  const rejects = (source: string, message: string): Promise<void> =>
    assert.rejects(checkBindSources([{ Type: 'bind', Source: source }]), (err: Error) => err instanceof TaskError && err.message === message);
  await rejects(join(dir, 'missing'), `invalid mount config for type "bind": bind source path does not exist: ${join(dir, 'missing')}`);
  await rejects(dangling, `invalid mount config for type "bind": bind source path does not exist: ${dangling}`);
  await rejects(join(file, 'sub'), `invalid mount config for type "bind": stat ${join(file, 'sub')}: not a directory`);
  await checkBindSources([
    { Type: 'bind', Source: dir },
    { Type: 'bind', Source: file },
    { Type: 'bind', Source: linked },
    { Type: 'volume', Source: 'data' },
    { Type: 'tmpfs', Source: '' },
  ]);
});
