// Server-side stacks and the stock docker CLI see the same stacks: one deployed through
// POST /berth/v1/stacks is listed by `docker stack ls` and `docker stack services`; one the CLI
// deployed is listed by GET /berth/v1/stacks (without a compose file), converts the same way
// when deployed again through the API (nothing changes), and is removed by DELETE. No agent is
// needed: this is about the objects, not their tasks.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { docker, dockerOk, freePort, startManager, tempDir, type ManagerProcess } from '../helpers/berth.js';

const COMPOSE = `services:
  web:
    image: localhost/berth-demo:1
    command: ["sleep", "3600"]
    ports: ["8080:80"]
    environment: [MODE=blue]
    healthcheck: {test: ["CMD", "true"], interval: 5s}
    deploy:
      replicas: 2
      resources: {limits: {cpus: "0.5", memory: 64M}}
      update_config: {parallelism: 1, order: start-first}
  worker:
    image: localhost/berth-demo:1
    networks: [back]
    secrets: [token]
    configs: [{source: conf, target: /etc/app.conf}]
networks:
  back: {attachable: true}
secrets:
  token: {external: true}
configs:
  conf: {external: true}
`;

describe('server-side stacks and the docker CLI', { timeout: 300_000 }, () => {
  let dir: string;
  let manager: ManagerProcess;
  const call = async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await fetch(manager.url + path, { method, ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  };

  before(async () => {
    dir = tempDir('stack-server');
    manager = await startManager(join(dir, 'manager'), await freePort());
    // External objects, as an operator makes them beforehand.
    await dockerOk(manager.url, ['secret', 'create', 'token', join(import.meta.dirname, 'fixtures/stack/db_password.txt')]);
    await dockerOk(manager.url, ['config', 'create', 'conf', join(import.meta.dirname, 'fixtures/stack/app.conf')]);
  });

  after(async () => {
    await manager?.proc.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a stack deployed through the API is what docker stack ls and docker stack services show', async () => {
    const deployed = await call<{ Changes: { Action: string }[] }>('POST', '/berth/v1/stacks', { Name: 'api', Compose: COMPOSE });
    assert.equal(deployed.status, 200, JSON.stringify(deployed.body));
    const ls = await dockerOk(manager.url, ['stack', 'ls']);
    assert.match(ls, /^api\s+2\b/m, ls);
    const services = await dockerOk(manager.url, ['stack', 'services', 'api']);
    assert.match(services, /api_web\s+replicated\s+0\/2\s+localhost\/berth-demo:1\s+\*:8080->80\/tcp/, services);
    assert.match(services, /api_worker\s+replicated\s+0\/1\s+localhost\/berth-demo:1/, services);
    const networks = await dockerOk(manager.url, ['network', 'ls', '--filter', 'label=com.docker.stack.namespace=api', '--format', '{{.Name}}']);
    assert.deepEqual(networks.trim().split('\n').sort(), ['api_back', 'api_default']);
  });

  test('a stack the docker CLI deployed is listed by the API; deployed again through the API, only what the file changed changes', async () => {
    const file = join(dir, 'compose.yml');
    writeFileSync(file, COMPOSE.replace('8080:80', '8081:80'));
    const r = await docker(manager.url, ['stack', 'deploy', '-c', file, 'cli'], 120_000);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const list = await call<{ Name: string; Services: number; DesiredTasks: number; HasCompose: boolean }[]>('GET', '/berth/v1/stacks');
    assert.deepEqual(list.body.map((s) => [s.Name, s.Services, s.DesiredTasks, s.HasCompose]), [['api', 2, 3, true], ['cli', 2, 3, false]]);
    const plan = await call<{ Changes: { Kind: string; Name: string; Action: string; Fields?: unknown[] }[] }>('POST', '/berth/v1/stacks?dryRun=true', { Name: 'cli', Compose: COMPOSE.replace('8080:80', '8082:80') });
    assert.equal(plan.status, 200, JSON.stringify(plan.body));
    assert.deepEqual(
      plan.body.Changes.map((c) => `${c.Action} ${c.Kind} ${c.Name}`),
      ['unchanged network cli_back', 'unchanged network cli_default', 'update service cli_web', 'unchanged service cli_worker'],
      `the server converts as the CLI did: ${JSON.stringify(plan.body.Changes)}`,
    );
    assert.deepEqual(plan.body.Changes.find((c) => c.Name === 'cli_web')!.Fields!.map((f) => (f as { Field: string }).Field), ['EndpointSpec.Ports'], 'only the port the file changed');
  });

  test('the API removes a stack of the CLI, the CLI one of the API', async () => {
    assert.equal((await call('DELETE', '/berth/v1/stacks/cli')).status, 200);
    assert.doesNotMatch(await dockerOk(manager.url, ['stack', 'ls']), /^cli\s/m);
    await dockerOk(manager.url, ['stack', 'rm', 'api']);
    const left = await call<{ Name: string; Services: number; HasCompose: boolean }[]>('GET', '/berth/v1/stacks');
    // Berth keeps the file it deployed (a deploy brings the stack back); DELETE forgets it too.
    assert.deepEqual(left.body.map((s) => [s.Name, s.Services, s.HasCompose]), [['api', 0, true]]);
    assert.equal((await call('DELETE', '/berth/v1/stacks/api')).status, 200);
    assert.deepEqual((await call<unknown[]>('GET', '/berth/v1/stacks')).body, []);
  });
});
