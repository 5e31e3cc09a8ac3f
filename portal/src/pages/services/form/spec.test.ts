import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EMPTY, FieldError, fieldOf, fromSpec, toSpec } from './spec';
import { parseDuration, parseMemory, splitWords } from './units';

const lookups = { secrets: [{ ID: 's1', Spec: { Name: 'db-pass' } }], configs: [] };

test('the form makes the spec docker service create would send', () => {
  const spec = toSpec(
    { ...EMPTY, name: 'web', image: 'nginx:1.27', replicas: 3, command: `sh -c 'echo "hi there"'`, env: 'A=1\n\nB=2', ports: [{ published: '8080', target: '80', protocol: 'tcp', mode: 'ingress' }], secrets: ['db-pass'], memoryLimit: '512M', restartDelay: '1m30s', healthCmd: 'wget -q -O- localhost' },
    lookups,
  );
  assert.deepEqual(spec.TaskTemplate.ContainerSpec.Command, ['sh', '-c', 'echo "hi there"']);
  assert.deepEqual(spec.TaskTemplate.ContainerSpec.Env, ['A=1', 'B=2']);
  assert.deepEqual(spec.Mode, { Replicated: { Replicas: 3 } });
  assert.deepEqual(spec.EndpointSpec?.Ports, [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' }]);
  assert.equal(spec.TaskTemplate.ContainerSpec.Secrets?.[0]?.SecretID, 's1');
  assert.equal(spec.TaskTemplate.Resources?.Limits?.MemoryBytes, 512 * 1024 ** 2);
  assert.equal(spec.TaskTemplate.Resources?.Reservations, undefined);
  assert.equal(spec.TaskTemplate.RestartPolicy?.Delay, 90e9);
  assert.deepEqual(spec.TaskTemplate.ContainerSpec.Healthcheck?.Test, ['CMD-SHELL', 'wget -q -O- localhost']);
});

test('an update keeps what the form does not show, and the form reads back what it wrote', () => {
  const base = toSpec({ ...EMPTY, name: 'web', image: 'nginx', constraints: 'node.role==worker', updateDelay: '10s' }, lookups);
  const withHidden = { ...base, TaskTemplate: { ...base.TaskTemplate, ContainerSpec: { ...base.TaskTemplate.ContainerSpec, Hosts: ['10.0.0.1 db'] } } };
  const form = fromSpec(withHidden);
  assert.equal(form.constraints, 'node.role==worker');
  assert.equal(form.updateDelay, '10s');
  const again = toSpec({ ...form, image: 'nginx:2' }, lookups, withHidden);
  assert.deepEqual((again.TaskTemplate.ContainerSpec as { Hosts?: string[] }).Hosts, ['10.0.0.1 db']);
  assert.equal(again.TaskTemplate.ContainerSpec.Image, 'nginx:2');
});

test('bad values name their field', () => {
  const fails = (f: Partial<typeof EMPTY>, field: string) =>
    assert.throws(
      () => toSpec({ ...EMPTY, image: 'x', ...f }, lookups),
      (e: unknown) => e instanceof FieldError && e.field === field,
    );
  fails({ image: ' ' }, 'image');
  fails({ restartDelay: '5 sec' }, 'restartDelay');
  fails({ memoryLimit: 'lots' }, 'memoryLimit');
  fails({ secrets: ['nope'] }, 'secrets');
  fails({ ports: [{ published: '', target: '0', protocol: 'tcp', mode: 'ingress' }] }, 'ports');
  fails({ command: `sh -c 'oops` }, 'command');
  assert.equal(fieldOf('invalid ServiceSpec: EndpointSpec.Ports[0].TargetPort is required'), 'ports');
  assert.equal(fieldOf('invalid ServiceSpec: TaskTemplate.ContainerSpec.Image is required: name the image'), 'image');
  assert.equal(parseDuration('500ms'), 5e8);
  assert.equal(parseMemory('1g'), 1024 ** 3);
  assert.deepEqual(splitWords(`a\\ b "c d" ''`), ['a b', 'c d', '']);
});
