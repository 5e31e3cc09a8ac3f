import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Config, Secret, Task } from '../../types/index.js';
import { containerConfig } from '../tasks/container-config.js';
import { Dependencies } from '../tasks/dependencies.js';
import { TaskError } from '../engine/engine-errors.js';
import { fileContent, taskFiles, type NodeInfo } from './payload.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const meta = { Version: { Index: 1 }, CreatedAt: '', UpdatedAt: '' };
const secret = (id: string, name: string, data: string, templated = false): Secret => ({ ID: id, ...meta, Spec: { Name: name, Data: b64(data), ...(templated && { Templating: { Name: 'golang' } }) } });
const config = (id: string, name: string, data: string, templated = false): Config => ({ ID: id, ...meta, Spec: { Name: name, Data: b64(data), ...(templated && { Templating: { Name: 'golang' } }) } });
const node: NodeInfo = { id: 'node1', description: { Hostname: 'worker-1', Platform: { OS: 'linux', Architecture: 'x86_64' } } };

function task(slot: number, over: Partial<Task> = {}): Task {
  return {
    ID: `task${slot}`,
    ...meta,
    ServiceID: 'svc1',
    Slot: slot,
    NodeID: 'node1',
    Status: { Timestamp: '', State: 'assigned', Message: '' },
    DesiredState: 'running',
    BerthService: { Name: 'web', Labels: { tier: 'front' } },
    Spec: {
      ContainerSpec: {
        Image: 'i',
        Env: ['DB_HOST=db.local', 'EMPTY='],
        Secrets: [
          { SecretID: 's1', SecretName: 'db_password', File: { Name: 'db', UID: '1000', GID: '1001', Mode: 0o400 } },
          { SecretID: 's2', SecretName: 'tls', File: { Name: '/etc/ssl/key.pem', UID: '0', GID: '0', Mode: 0o440 } },
        ],
        Configs: [
          { ConfigID: 'c1', ConfigName: 'app.conf', File: { Name: '/etc/app.conf', UID: '0', GID: '0', Mode: 0o444 } },
          { ConfigID: 'c2', ConfigName: 'motd', File: { Name: 'motd', UID: '0', GID: '0', Mode: 0o444 } },
        ],
      },
    },
    ...over,
  };
}

function deps(...objects: (Secret | Config)[]): Dependencies {
  const d = new Dependencies();
  d.receive(true, objects.filter((o): o is Secret => o.ID.startsWith('s')), objects.filter((o): o is Config => o.ID.startsWith('c')));
  return d;
}

test('taskFiles: container paths, owners and modes as Swarm places them', () => {
  const files = taskFiles(task(1));
  assert.deepEqual(
    files.map((f) => [f.kind, f.name, f.path, f.uid, f.gid, f.mode.toString(8), f.hostName]),
    [
      ['secret', 'db_password', '/run/secrets/db', 1000, 1001, '400', 'secret-0'],
      ['secret', 'tls', '/etc/ssl/key.pem', 0, 0, '440', 'secret-1'],
      ['config', 'app.conf', '/etc/app.conf', 0, 0, '444', 'config-0'],
      ['config', 'motd', '/motd', 0, 0, '444', 'config-1'],
    ],
  );
  const mounts = [{ source: '/run/berth/n/t/secret-0', target: '/run/secrets/db' }];
  const created = containerConfig(task(1, { Spec: { ContainerSpec: { Image: 'i', Mounts: [{ Type: 'tmpfs', Target: '/tmp' }] } } }), { clusterId: 'c', nodeId: 'n' }, { files: mounts });
  const bound = (created.HostConfig?.Mounts as unknown as Record<string, unknown>[]).map((m) => [m.Type, m.Source, m.Target, m.ReadOnly]);
  assert.deepEqual(bound, [['tmpfs', '', '/tmp', undefined], ['bind', '/run/berth/n/t/secret-0', '/run/secrets/db', true]], 'files are bound read-only after the spec’s mounts');
});

test('fileContent: plain data as is; a golang template rendered per task', () => {
  const d = deps(
    secret('s1', 'db_password', 'hunter2'),
    secret('s2', 'tls', 'slot={{.Task.Slot}}', false),
    config('c1', 'app.conf', [
      'service={{.Service.Name}} id={{.Service.ID}} tier={{index .Service.Labels "tier"}} all={{.Service.Labels}}',
      'node={{.Node.ID}} host={{.Node.Hostname}} {{.Node.Platform.OS}}/{{.Node.Platform.Architecture}}',
      'task={{.Task.Name}} {{.Task.ID}} slot={{.Task.Slot}}',
      'db={{env "DB_HOST"}} missing=[{{env "NOPE"}}] password={{secret "db"}} motd={{config "motd"}}',
      '{{- /* trimmed */ -}}',
    ].join('\n'), true),
    config('c2', 'motd', 'hello {{.Task.Slot}}'),
  );
  const [db, tls, app, motd] = taskFiles(task(2));
  assert.equal(fileContent(db!, task(2), node, d).toString(), 'hunter2');
  assert.equal(fileContent(tls!, task(2), node, d).toString(), 'slot={{.Task.Slot}}', 'no Templating: not rendered');
  assert.equal(
    fileContent(app!, task(2), node, d).toString(),
    [
      'service=web id=svc1 tier=front all=map[tier:front]',
      'node=node1 host=worker-1 linux/x86_64',
      'task=web.2.task2 task2 slot=2',
      'db=db.local missing=[] password=hunter2 motd=hello {{.Task.Slot}}',
    ].join('\n'),
    'secret and config functions read the raw data of the task’s own files, by target',
  );
  assert.equal(fileContent(motd!, task(2), node, d).toString(), 'hello {{.Task.Slot}}');
  // Another replica gets its own content from the same config.
  assert.match(fileContent(app!, task(3), node, d).toString(), /task=web\.3\.task3 task3 slot=3/);
  // A global task has no slot: Swarm uses the node ID.
  assert.match(fileContent(app!, task(0, { Slot: 0 }), node, d).toString(), /task=web\.node1\.task0 task0 slot=node1/);
  // Binary data stays byte for byte.
  const bin = Buffer.from([0, 255, 128, 10]);
  const binDeps = deps({ ...secret('s1', 'db_password', ''), Spec: { Name: 'db_password', Data: bin.toString('base64') } });
  assert.deepEqual(fileContent(db!, task(1), node, binDeps), bin);
});

test('fileContent: template errors and missing objects reject the task, naming the object, line and reason', () => {
  const rejects = (d: Dependencies, index: number, message: string | RegExp): void => {
    assert.throws(
      () => fileContent(taskFiles(task(1))[index]!, task(1), node, d),
      (err: unknown) => {
        assert.ok(err instanceof TaskError, String(err));
        if (typeof message === 'string') assert.equal(err.message, message);
        else assert.match(err.message, message);
        return true;
      },
    );
  };
  const base = [secret('s1', 'db_password', 'x'), secret('s2', 'tls', 'x'), config('c2', 'motd', 'x')];
  rejects(deps(...base, config('c1', 'app.conf', 'ok\n{{.Task.Nope}}', true)), 2, "failed to expand templated config app.conf: template line 2: at <.Task.Nope>: can't evaluate field Nope in .Task: its fields are ID, Name, Slot");
  rejects(deps(...base, config('c1', 'app.conf', 'a\nb\n{{upper .Task.ID}}', true)), 2, 'failed to expand templated config app.conf: template line 3: function "upper" not defined');
  rejects(deps(...base, config('c1', 'app.conf', '{{secret "nope"}}', true)), 2, 'failed to expand templated config app.conf: template line 1: error calling secret: secret target nope not found');
  rejects(deps(secret('s2', 'tls', 'x')), 0, /^secret db_password \(s1\) is not available on this node: .*update the service to use an existing secret$/);
  // A template reading a secret the node was not sent fails too, naming it.
  rejects(deps(secret('s2', 'tls', 'x'), config('c1', 'app.conf', '{{secret "db"}}', true)), 2, /^failed to expand templated config app\.conf: template line 1: error calling secret: secret db_password \(s1\) is not available/);
});

test('Dependencies: a complete message replaces, an incremental one adds, pruning keeps what held tasks reference', () => {
  const d = new Dependencies();
  d.receive(true, [secret('s1', 'a', 'x'), secret('s9', 'old', 'x')], [config('c1', 'b', 'x')]);
  d.receive(false, [secret('s2', 'c', 'x')], []);
  assert.deepEqual(d.size, { secrets: 3, configs: 1 });
  d.prune([task(1)]);
  assert.deepEqual(d.size, { secrets: 2, configs: 1 }, 's9 is referenced by no held task');
  assert.ok(d.secret('s1') && d.secret('s2') && d.config('c1'));
  d.prune([]);
  assert.deepEqual(d.size, { secrets: 0, configs: 0 });
  d.receive(false, [secret('s1', 'a', 'x')]);
  d.receive(true, [], []);
  assert.equal(d.secret('s1'), undefined, 'a complete message replaces the set');
});

test('Dependencies: a task keeps its registry login while held; a complete message replaces the logins', () => {
  const d = new Dependencies();
  const held = task(1);
  const login = (taskId: string, auth: string) => ({ taskId, registry: 'r:1', auth, source: 'registry credential r' });
  d.receive(true, [], [], [login(held.ID, 'first'), login('gone-task', 'x')]);
  d.prune([held]);
  assert.equal(d.pullAuth(held.ID)?.auth, 'first');
  assert.equal(d.pullAuth('gone-task'), undefined, 'a task no longer held loses its login');
  d.receive(false, [], [], [login(held.ID, 'second')]);
  assert.equal(d.pullAuth(held.ID)?.auth, 'second', 'a later message updates it');
  d.receive(true, [], [], []);
  assert.equal(d.pullAuth(held.ID), undefined);
});
