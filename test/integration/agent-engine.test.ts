// Finding and provisioning the engine, describing the node, building the demo image: on the
// real Podman engine. Tests here run in order (one changes DOCKER_HOST for its duration).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import { describeNode } from '../../src/agent/engine/describe.js';
import { connectEngine, connectPodman } from '../../src/agent/engine/engine.js';
import { answers } from '../../src/agent/engine/engine-client.js';
import { buildBusyboxImage } from '../../src/agent/engine/image-build.js';
import { silentLogger } from '../../src/common/log.js';
import { sameArch } from '../../src/common/platform.js';
import { InvalidArgumentError, UnavailableError } from '../../src/types/index.js';
import { testEngine } from '../helpers/engine.js';

const log = silentLogger();

describe('container engine', { timeout: 120_000 }, () => {
  let docker: Dockerode;
  let url: string;
  const dirs: string[] = [];
  const tempDir = async (): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-engine-'));
    dirs.push(dir);
    return dir;
  };

  before(async () => {
    ({ docker, url } = await testEngine());
  });

  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  test('describeNode reads the engine: hostname override, raw arch, resources, plugins', async () => {
    const d = await describeNode(docker, { hostname: 'node-a' });
    assert.equal(d.Hostname, 'node-a');
    assert.equal(d.Platform?.OS, 'linux');
    // As the engine says it (Swarm shows Docker's x86_64 unchanged); only comparisons normalise.
    assert.equal(d.Platform?.Architecture, ((await docker.info()) as { Architecture?: string }).Architecture);
    assert.ok(sameArch(d.Platform?.Architecture, process.arch === 'x64' ? 'x86_64' : process.arch), `${d.Platform?.Architecture} is this machine's`);
    assert.equal(d.Resources?.NanoCPUs, cpus().length * 1e9);
    const mem = d.Resources?.MemoryBytes ?? 0;
    assert.ok(mem > 0.5 * totalmem() && mem <= totalmem() * 1.01, `memory ${mem} is the machine's`);
    assert.match(d.Engine?.EngineVersion ?? '', /^\d+\.\d+/);
    assert.ok(d.Engine?.Plugins?.some((p) => p.Type === 'Volume' && p.Name === 'local'), 'lists the local volume driver');
    assert.deepEqual(d.Engine?.Labels, {});
    const plain = await describeNode(docker);
    assert.ok(plain.Hostname, 'the engine hostname by default');
  });

  test('describeNode keeps a Docker engine\'s x86_64 as Swarm shows it', async () => {
    // Stands in for Docker Engine (not installed here): /info and /version as Docker 24 answers them.
    const server: Server = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url?.includes('/info')) return void res.end(JSON.stringify({ Name: 'docker-host', OSType: 'linux', Architecture: 'x86_64', NCPU: 2, MemTotal: 2 ** 31, ServerVersion: '24.0.7', Labels: ['disk=ssd'] }));
      res.end(JSON.stringify({ Version: '24.0.7', ApiVersion: '1.43', Os: 'linux', Arch: 'amd64' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const d = await describeNode(new Dockerode({ host: '127.0.0.1', port: (server.address() as { port: number }).port }));
      assert.deepEqual(d.Platform, { OS: 'linux', Architecture: 'x86_64' });
      assert.equal(d.Hostname, 'docker-host');
      assert.deepEqual(d.Engine?.Labels, { disk: 'ssd' });
    } finally {
      server.close();
    }
  });

  test('an explicit engine is used as given, and close() leaves it running', async () => {
    const conn = await connectEngine({ engine: url, dataDir: await tempDir(), log });
    assert.equal(conn.url, url);
    await conn.docker.ping();
    await conn.close();
    assert.equal(await answers(docker), true);
    const plainPath = await connectEngine({ engine: url.slice('unix://'.length), dataDir: await tempDir(), log });
    assert.equal(plainPath.url, url, 'a plain socket path is accepted');
  });

  test('an engine that does not answer, or a malformed address, fails clearly', async () => {
    const dir = await tempDir();
    await assert.rejects(connectEngine({ engine: `unix://${dir}/nothing.sock`, dataDir: dir, log }), (err: Error) => {
      assert.ok(err instanceof UnavailableError);
      assert.match(err.message, /nothing\.sock.*does not answer/);
      return true;
    });
    await assert.rejects(connectEngine({ engine: 'ftp://x', dataDir: dir, log }), InvalidArgumentError);
  });

  test('a Berth manager behind DOCKER_HOST is refused', async () => {
    // Stands in for a Berth manager: it answers the Engine API's ping and version as Berth's does.
    const server: Server = createServer((req, res) => {
      if (req.url?.endsWith('/_ping')) return void res.end('OK');
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ Version: '0.1.0', ApiVersion: '1.41', Components: [{ Name: 'Berth', Version: '0.1.0' }] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = `tcp://127.0.0.1:${port}`;
    try {
      await assert.rejects(connectEngine({ dataDir: await tempDir(), log }), (err: Error) => {
        assert.ok(err instanceof InvalidArgumentError);
        assert.match(err.message, /is a Berth manager, not a container engine/);
        assert.match(err.message, /DOCKER_HOST/);
        return true;
      });
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
      server.close();
    }
  });

  test('Berth starts its own Podman service, a second connect reuses it, close() stops it', async () => {
    const dir = await tempDir();
    const first = await connectPodman({ dataDir: dir, log });
    assert.equal(first.url, `unix://${dir}/podman.sock`);
    assert.ok((await first.docker.version()).Components?.some((c) => c.Name === 'Podman Engine'));

    const conf = await readFile(join(dir, 'containers.conf'), 'utf8');
    assert.match(conf, /runtime = "runc"/);
    assert.match(conf, /cgroup_manager = "cgroupfs"/);
    assert.match(conf, /events_logger = "file"/);
    const limits = await readFile('/proc/self/limits', 'utf8');
    const hard = (name: string): number => {
      const v = new RegExp(`^${name}\\s+\\S+\\s+(\\S+)`, 'm').exec(limits)?.[1];
      return v === 'unlimited' ? Infinity : Number(v);
    };
    const nofile = Number(/nofile=(\d+):(\d+)/.exec(conf)?.[2]);
    const nproc = Number(/nproc=(\d+):(\d+)/.exec(conf)?.[2]);
    assert.ok(nofile > 0 && nofile <= hard('Max open files'), `nofile ${nofile} within the hard limit`);
    assert.ok(nproc > 0 && nproc <= hard('Max processes'), `nproc ${nproc} within the hard limit`);

    const second = await connectPodman({ dataDir: dir, log });
    await second.close();
    assert.equal(await answers(first.docker), true, 'closing a reusing connection leaves the service');

    // A container runs under the provisioned service (the settings above make that possible).
    const c = await first.docker.createContainer({ Image: 'localhost/berth-demo:1', Cmd: ['true'] });
    await c.start();
    assert.deepEqual(await c.wait(), { StatusCode: 0, Error: null });
    await c.remove();

    await first.close();
    assert.equal(await answers(first.docker), false, 'the service Berth started is stopped');
  });

  test('buildBusyboxImage builds offline and skips an existing tag', async () => {
    const tag = `localhost/berth-build-test:${process.pid}`;
    try {
      await buildBusyboxImage(docker, tag);
      const image = await docker.getImage(tag).inspect();
      assert.deepEqual(image.Config.Cmd, ['/bin/sh']);
      const before = Date.now();
      await buildBusyboxImage(docker, tag);
      assert.ok(Date.now() - before < 500, 'an existing tag is not rebuilt');
      const c = await docker.createContainer({ Image: tag, Cmd: ['sh', '-c', 'httpd --help 2>&1 | head -1; exit 7'] });
      await c.start();
      assert.equal((await c.wait()).StatusCode, 7, 'busybox applets are installed');
      await c.remove();
    } finally {
      await docker.getImage(tag).remove().catch(() => undefined);
    }
  });
});
