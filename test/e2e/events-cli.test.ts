// End to end: `docker events` — the stock docker CLI against a real `berth manager` (no agent: the
// services' tasks stay pending, which is all the events need).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { docker, dockerOk, freePort, startManager, tempDir, type ManagerProcess } from '../helpers/berth.js';
import { until } from '../helpers/wait.js';

const IMAGE = 'localhost/berth-demo:1';

describe('docker events through the CLI', { timeout: 120_000 }, () => {
  let dir: string;
  let manager: ManagerProcess;
  let started = '';
  let id = '';

  before(async () => {
    dir = tempDir('events');
    manager = await startManager(join(dir, 'manager'), await freePort());
    started = new Date(Date.now() - 1000).toISOString();
    await dockerOk(manager.url, ['service', 'create', '-d', '--no-resolve-image', '--name', 'ev-web', IMAGE]);
    id = (await dockerOk(manager.url, ['service', 'inspect', '--format', '{{.ID}}', 'ev-web'])).trim();
  });

  after(async () => {
    await manager?.proc.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('docker events --filter scope=swarm --since (RFC 3339) --until (unix seconds) prints the service create line of docker service create, and ends', async () => {
    const r = await docker(manager.url, ['events', '--filter', 'scope=swarm', '--filter', 'type=service', '--since', started, '--until', (Date.now() / 1000).toFixed(3)], 30_000);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\S+ service create ${id} \\(name=ev-web\\)$`, 'm'));
  });

  test("docker events --format '{{json .}}' follows: every line parses, and a docker service update shows up live with its replicas", async () => {
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', DOCKER_HOST: manager.url.replace(/^http:/, 'tcp:') };
    const cli = spawn('docker', ['events', '--since', started, '--filter', 'service=ev-web', '--format', '{{json .}}'], { env });
    const seen: { Type: string; Action: string; Actor: { ID: string; Attributes: Record<string, string> }; scope: string; timeNano: number }[] = [];
    let partial = '';
    cli.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
      for (const l of lines) seen.push(JSON.parse(l));
    });
    const waitFor = (what: string, ok: (e: (typeof seen)[number]) => boolean) =>
      until(() => {
        if (cli.exitCode !== null) throw new Error(`docker events exited (${cli.exitCode}) before ${what}`);
        return seen.find(ok);
      }, 20_000, what, 50);
    try {
      const created = await waitFor('service create', (e) => e.Type === 'service' && e.Action === 'create');
      assert.deepEqual([created.Actor.ID, created.Actor.Attributes.name, created.scope], [id, 'ev-web', 'swarm']);
      assert.ok(created.timeNano > 0);
      await dockerOk(manager.url, ['service', 'update', '-d', '--no-resolve-image', '--replicas', '2', 'ev-web']);
      const updated = await waitFor('service update', (e) => e.Type === 'service' && e.Action === 'update' && e.Actor.Attributes['replicas.new'] === '2');
      assert.equal(updated.Actor.Attributes['replicas.old'], '1');
      assert.ok(seen.some((e) => e.Type === 'task' && e.Actor.Attributes['service.id'] === id), "the service's task events come with it");
    } finally {
      cli.kill();
    }
  });
});
