import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../types/index.js';
import { addFilter, parseEnv, parseKeyValue, parseMount, parsePlacementPref, parsePublish, splitShellWords } from './option-parsers.js';
import { buildServiceSpec } from './service-spec.js';

test('a bare image gives a minimal replicated spec with one replica', () => {
  assert.deepEqual(buildServiceSpec('nginx:1.27', [], {}), {
    TaskTemplate: { ContainerSpec: { Image: 'nginx:1.27' } },
    Mode: { Replicated: { Replicas: 1 } },
  });
});

test('COMMAND and ARGs become Args; --entrypoint becomes Command', () => {
  const spec = buildServiceSpec('alpine', ['ping', '-c', '3', 'example.com'], { entrypoint: splitShellWords('/bin/sh -c') });
  assert.deepEqual(spec.TaskTemplate?.ContainerSpec?.Args, ['ping', '-c', '3', 'example.com']);
  assert.deepEqual(spec.TaskTemplate?.ContainerSpec?.Command, ['/bin/sh', '-c']);
});

test('every option lands in its Engine API field', () => {
  const spec = buildServiceSpec('web:1', [], {
    name: 'web',
    replicas: 3,
    env: ['A=1', 'B=two=2'],
    label: { tier: 'front' },
    containerLabel: { team: 'x' },
    constraint: ['node.role==worker'],
    placementPref: [parsePlacementPref('spread=node.labels.zone')],
    replicasMaxPerNode: 2,
    publish: [...parsePublish('8080:80'), ...parsePublish('mode=host,target=53,published=5353,protocol=udp')],
    mount: [parseMount('type=bind,source=/srv,target=/data,readonly')],
    limitCpu: 5e8,
    limitMemory: 512 * 2 ** 20,
    reserveCpu: 25e7,
    reserveMemory: 2 ** 27,
    restartCondition: 'on-failure',
    restartDelay: 2e9,
    restartMaxAttempts: 4,
    restartWindow: 60e9,
    stopGracePeriod: 30e9,
    stopSignal: 'SIGINT',
    workdir: '/app',
    user: '1000:1000',
    hostname: 'web-host',
    healthCmd: 'curl -f http://localhost/',
    healthInterval: 5e9,
    healthRetries: 3,
    healthTimeout: 2e9,
    healthStartPeriod: 10e9,
  });
  assert.deepEqual(spec, {
    Name: 'web',
    Labels: { tier: 'front' },
    TaskTemplate: {
      ContainerSpec: {
        Image: 'web:1',
        Labels: { team: 'x' },
        Hostname: 'web-host',
        Env: ['A=1', 'B=two=2'],
        Dir: '/app',
        User: '1000:1000',
        Mounts: [{ Type: 'bind', Source: '/srv', Target: '/data', ReadOnly: true }],
        StopSignal: 'SIGINT',
        StopGracePeriod: 30e9,
        Healthcheck: { Test: ['CMD-SHELL', 'curl -f http://localhost/'], Interval: 5e9, Timeout: 2e9, Retries: 3, StartPeriod: 10e9 },
      },
      Resources: { Limits: { NanoCPUs: 5e8, MemoryBytes: 512 * 2 ** 20 }, Reservations: { NanoCPUs: 25e7, MemoryBytes: 2 ** 27 } },
      RestartPolicy: { Condition: 'on-failure', Delay: 2e9, MaxAttempts: 4, Window: 60e9 },
      Placement: { Constraints: ['node.role==worker'], Preferences: [{ Spread: { SpreadDescriptor: 'node.labels.zone' } }], MaxReplicas: 2 },
    },
    Mode: { Replicated: { Replicas: 3 } },
    EndpointSpec: {
      Ports: [
        { Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' },
        { Protocol: 'udp', TargetPort: 53, PublishedPort: 5353, PublishMode: 'host' },
      ],
    },
  });
});

test('global mode refuses replica options', () => {
  assert.deepEqual(buildServiceSpec('a', [], { mode: 'global' }).Mode, { Global: {} });
  assert.throws(() => buildServiceSpec('a', [], { mode: 'global', replicas: 2 }), /--replicas can only be used with replicated mode/);
  assert.throws(() => buildServiceSpec('a', [], { mode: 'global', replicasMaxPerNode: 1 }), InvalidArgumentError);
});

test('healthcheck: --no-healthcheck sets NONE and conflicts with --health-*; timing alone keeps the image test', () => {
  assert.deepEqual(buildServiceSpec('a', [], { healthcheck: false }).TaskTemplate?.ContainerSpec?.Healthcheck, { Test: ['NONE'] });
  assert.throws(() => buildServiceSpec('a', [], { healthcheck: false, healthRetries: 2 }), /conflicts/);
  assert.deepEqual(buildServiceSpec('a', [], { healthInterval: 1e9 }).TaskTemplate?.ContainerSpec?.Healthcheck, { Interval: 1e9 });
});

test('resources: only the given half appears', () => {
  assert.deepEqual(buildServiceSpec('a', [], { limitMemory: 2 ** 30 }).TaskTemplate?.Resources, { Limits: { MemoryBytes: 2 ** 30 } });
});

test('publish: short forms, ranges, protocols and errors', () => {
  assert.deepEqual(parsePublish('80'), [{ Protocol: 'tcp', TargetPort: 80, PublishMode: 'ingress' }]);
  assert.deepEqual(parsePublish('53:53/udp'), [{ Protocol: 'udp', TargetPort: 53, PublishedPort: 53, PublishMode: 'ingress' }]);
  assert.deepEqual(
    parsePublish('8080-8081:80-81').map((p) => [p.PublishedPort, p.TargetPort]),
    [[8080, 80], [8081, 81]],
  );
  assert.throws(() => parsePublish('127.0.0.1:8080:80'), /host IP is not supported/);
  assert.throws(() => parsePublish('8080-8082:80-81'), /same size/);
  assert.throws(() => parsePublish('70000:80'), /0 to 65535/);
  assert.throws(() => parsePublish('80/icmp'), /tcp, udp or sctp/);
  assert.throws(() => parsePublish('published=8080'), /target is required/);
  assert.throws(() => parsePublish('target=80,mode=bridge'), /ingress or host/);
});

test('mount: defaults to volume, reads aliases and sub-options, and checks consistency', () => {
  assert.deepEqual(parseMount('source=data,target=/data'), { Type: 'volume', Source: 'data', Target: '/data' });
  assert.deepEqual(parseMount('type=volume,src=data,dst=/d,ro=false,volume-nocopy,volume-label=a=b,volume-driver=local,volume-opt=o=1'), {
    Type: 'volume',
    Source: 'data',
    Target: '/d',
    ReadOnly: false,
    VolumeOptions: { NoCopy: true, Labels: { a: 'b' }, DriverConfig: { Name: 'local', Options: { o: '1' } } },
  });
  assert.deepEqual(parseMount('type=tmpfs,target=/tmp,tmpfs-size=64M,tmpfs-mode=1777'), {
    Type: 'tmpfs',
    Target: '/tmp',
    TmpfsOptions: { SizeBytes: 64 * 2 ** 20, Mode: 0o1777 },
  });
  assert.deepEqual(parseMount('type=bind,source=/a,target=/b,bind-propagation=rshared').BindOptions, { Propagation: 'rshared' });
  assert.throws(() => parseMount('type=bind,target=/b'), /needs source/);
  assert.throws(() => parseMount('source=data'), /target is required/);
  assert.throws(() => parseMount('type=volume,source=x,target=/y,bind-propagation=shared'), /bind-\* options need type=bind/);
  assert.throws(() => parseMount('type=nfs,target=/x'), /bind, volume or tmpfs/);
  assert.throws(() => parseMount('target=/x,color=red'), /invalid mount field "color"/);
});

test('env, labels, placement preferences, filters', () => {
  assert.equal(parseEnv('A=1'), 'A=1');
  assert.equal(parseEnv('HOME_X', { HOME_X: '/h' }), 'HOME_X=/h');
  assert.equal(parseEnv('UNSET_X', {}), 'UNSET_X');
  assert.throws(() => parseEnv('=1'), InvalidArgumentError);
  assert.deepEqual(parseKeyValue('a=b=c'), ['a', 'b=c']);
  assert.deepEqual(parseKeyValue('flag'), ['flag', '']);
  assert.throws(() => parsePlacementPref('pack=node.labels.x'), /only spread/);
  assert.deepEqual(addFilter('name=b', addFilter('name=a', {})), { name: { a: true, b: true } });
  assert.throws(() => addFilter('name', {}), /key=value/);
});

test('--entrypoint is split as a shell would', () => {
  assert.deepEqual(splitShellWords(`sh -c 'echo "hi there"' "a b" c\\ d`), ['sh', '-c', 'echo "hi there"', 'a b', 'c d']);
  assert.deepEqual(splitShellWords(''), []);
  assert.deepEqual(splitShellWords(`''`), ['']);
  assert.throws(() => splitShellWords(`"open`), /unterminated/);
});
