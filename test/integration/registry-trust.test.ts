// The cluster's registry trusted by real engines, in their default certs.d directories: a TLS
// registry with a certificate from a cluster root listens on a test bridge; Podman (host h1) and
// Docker Engine (dockerd in host h2) refuse it until the agent's RegistryTrust writes the root
// where each engine reads it — without restarting the engine — and refuse it again once it is
// removed. The registry's HOST:PORT is the test network's own, so the machine's /etc/containers
// and /etc/docker get a directory no one else uses, removed at the end (and certs.d itself when
// the test made it).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import { buildBusyboxImage } from '../../src/agent/engine/image-build.js';
import { ImagePuller } from '../../src/agent/engine/image-pull.js';
import { DOCKER_CERTS_DIR, PODMAN_CERTS_DIR, RegistryTrust, engineCertsDir } from '../../src/agent/engine/registry-trust.js';
import { createRootCA, issueWithKey } from '../../src/ca/index.js';
import { silentLogger } from '../../src/common/log.js';
import { OU_MANAGER } from '../../src/common/pki.js';
import { Registry } from '../../src/registry/index.js';
import { TEST_IMAGE } from '../helpers/engine.js';
import { createTestNetwork, type TestNetwork } from '../helpers/hosts/index.js';
import type { CapturedProcess } from '../helpers/process.js';
import { TEST_ADMIN_PASSWORD } from '../helpers/registry-auth.js';

describe('real engines trust the cluster registry through the files RegistryTrust writes', { timeout: 240_000 }, () => {
  let net: TestNetwork;
  let registry: Registry;
  let dockerd: CapturedProcess | undefined;
  let image = '';
  let rootCA = '';
  const engines: { name: string; docker: Dockerode; dir: string }[] = [];
  const madeHere = [PODMAN_CERTS_DIR, DOCKER_CERTS_DIR].filter((d) => !existsSync(d));

  before(async () => {
    net = await createTestNetwork({ name: 'registry-trust', hosts: 2 });
    const [h1, h2] = net.hosts as [NonNullable<TestNetwork['hosts'][0]>, NonNullable<TestNetwork['hosts'][0]>];
    await h1.startEngine();
    // Docker Engine inside h2, on its own data root in the host's directory, with no bridge or iptables rules.
    const d = join(h2.dir, 'dockerd');
    const sock = join(d, 'docker.sock');
    dockerd = h2.spawn('dockerd', ['--data-root', join(d, 'data'), '--exec-root', join(d, 'exec'), '-H', `unix://${sock}`, '--pidfile', join(d, 'dockerd.pid'), '--bridge', 'none', '--iptables=false']);
    const root = await createRootCA();
    rootCA = root.certPem;
    const tls = await issueWithKey(root, { subject: { commonName: 'registry.test', role: OU_MANAGER, cluster: 'test' }, validityMs: 3600_000, names: [net.gateway] });
    registry = await Registry.start({ dataDir: join(net.dir, 'registry'), listen: `${net.gateway}:0`, log: silentLogger(), tls, adminPassword: TEST_ADMIN_PASSWORD });
    image = `${registry.address}/library/busybox:1`;
    // Pushed from h1 with podman trusting the root for this push only; h1's engine forgets the image after.
    await buildBusyboxImage(h1.engine.docker, TEST_IMAGE);
    const certs = join(net.dir, 'push-certs');
    mkdirSync(certs);
    writeFileSync(join(certs, 'ca.crt'), rootCA);
    const push = await h1.exec('podman', ['push', '--quiet', '--cert-dir', certs, '--creds', `admin:${TEST_ADMIN_PASSWORD}`, TEST_IMAGE, image]);
    assert.equal(push.code, 0, push.stderr);
    await h1.engine.docker.getImage(TEST_IMAGE).remove();
    const docker = new Dockerode({ socketPath: sock });
    for (let i = 0; !(await docker.ping().then(() => true, () => false)); i++) {
      if (i > 300 || dockerd.child.exitCode !== null) throw new Error(`dockerd did not start:\n${dockerd.output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    engines.push({ name: 'Podman', docker: h1.engine.docker, dir: PODMAN_CERTS_DIR }, { name: 'Docker Engine', docker, dir: DOCKER_CERTS_DIR });
  });

  after(async () => {
    for (const e of engines) rmSync(join(e.dir, registry?.address ?? 'none'), { recursive: true, force: true });
    for (const d of madeHere) {
      try {
        rmdirSync(d);
      } catch {
        // not made (nothing pulled), or someone else's files are in it now
      }
    }
    await registry?.stop();
    await dockerd?.stop();
    await net?.destroy();
  });

  for (const which of ['Podman', 'Docker Engine']) {
    test(`${which} pulls over verified TLS once the root is in its certs.d, read at the pull, and refuses again once it is removed`, async () => {
      const { docker, dir } = engines.find((e) => e.name === which)!;
      assert.equal(await engineCertsDir(docker), dir, 'the directory Berth picks for this engine');
      const trust = new RegistryTrust({ docker, identity: () => ({ nodeId: 'node1', rootCA }), log: silentLogger() });
      const puller = new ImagePuller(docker, new Set(), () => undefined, (r) => trust.beforePull(r));
      const pull = (): Promise<void> => puller.pull(image, 'task1', silentLogger());
      const forget = (): Promise<void> => docker.getImage(image).remove().then(() => undefined, () => undefined);

      await assert.rejects(pull(), /x509: certificate signed by unknown authority/, 'not announced: the engine does not trust the registry');
      await trust.announce([registry.address]);
      await pull();
      assert.ok(existsSync(join(dir, registry.address, 'berth-node1.crt')));
      await forget();
      await trust.clear();
      assert.equal(existsSync(join(dir, registry.address)), false, 'the file and its directory are gone');
      await assert.rejects(pull(), /x509: certificate signed by unknown authority/, 'removed: refused again');
    });
  }
});
