import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../types/index.js';
import { validateServiceSpec } from './validate-service.js';
import { validateNodeSpec } from './validate-node.js';

const image = { ContainerSpec: { Image: 'busybox' } };

function rejects(body: unknown, message: string | RegExp): void {
  assert.throws(
    () => validateServiceSpec(body),
    (err: unknown) => {
      assert.ok(err instanceof InvalidArgumentError, `expected InvalidArgumentError, got ${String(err)}`);
      if (typeof message === 'string') assert.equal(err.message, message);
      else assert.match(err.message, message);
      return true;
    },
  );
}

test('type errors name the field path, what it must be and what was sent', () => {
  rejects(
    { Name: 'web', TaskTemplate: image, Mode: { Replicated: { Replicas: 'three' } } },
    'invalid ServiceSpec: Mode.Replicated.Replicas must be an integer between 0 and 100000 (got "three")',
  );
  rejects({ Name: 'web', TaskTemplate: image, Mode: { Replicated: { Replicas: -1 } } }, 'invalid ServiceSpec: Mode.Replicated.Replicas must be at least 0 (got -1)');
  rejects({ Name: 'web', TaskTemplate: image, Mode: { Replicated: { Replicas: 1.5 } } }, 'invalid ServiceSpec: Mode.Replicated.Replicas must be an integer between 0 and 100000 (got 1.5)');
  rejects({ Name: 5, TaskTemplate: image }, 'invalid ServiceSpec: Name must be a string (got 5)');
  rejects({ TaskTemplate: { ContainerSpec: { Image: 'busybox', Env: ['A=1', 2] } } }, 'invalid ServiceSpec: TaskTemplate.ContainerSpec.Env[1] must be a string (got 2)');
  rejects({ TaskTemplate: image, Labels: { 'com.example.x': 1 } }, 'invalid ServiceSpec: Labels["com.example.x"] must be a string (got 1)');
  rejects({ TaskTemplate: image, Labels: ['a=b'] }, 'invalid ServiceSpec: Labels must be an object of strings (got ["a=b"])');
  rejects('web', 'invalid ServiceSpec: the request body must be an object (got "web")');
  rejects([], 'invalid ServiceSpec: the request body must be an object (got [])');
});

test('enums and ranges: restart condition, durations, update config, ports', () => {
  rejects(
    { TaskTemplate: { ...image, RestartPolicy: { Condition: 'always' } } },
    'invalid ServiceSpec: TaskTemplate.RestartPolicy.Condition must be one of "none", "on-failure", "any" (got "always")',
  );
  rejects({ TaskTemplate: { ...image, RestartPolicy: { Delay: -5 } } }, 'invalid ServiceSpec: TaskTemplate.RestartPolicy.Delay must be at least 0 nanoseconds (got -5)');
  rejects({ TaskTemplate: { ...image, RestartPolicy: { Delay: '5s' } } }, 'invalid ServiceSpec: TaskTemplate.RestartPolicy.Delay must be a whole number of nanoseconds between 0 and 9007199254740991 (got "5s")');
  rejects({ TaskTemplate: image, UpdateConfig: { MaxFailureRatio: 2 } }, 'invalid ServiceSpec: UpdateConfig.MaxFailureRatio must be at most 1 (got 2)');
  rejects({ TaskTemplate: image, UpdateConfig: { MaxFailureRatio: 'half' } }, 'invalid ServiceSpec: UpdateConfig.MaxFailureRatio must be a number between 0 and 1 (got "half")');
  rejects({ TaskTemplate: image, RollbackConfig: { FailureAction: 'rollback' } }, /RollbackConfig\.FailureAction must be one of "continue", "pause"/);
  rejects({ TaskTemplate: image, EndpointSpec: { Ports: [{ TargetPort: 70000 }] } }, 'invalid ServiceSpec: EndpointSpec.Ports[0].TargetPort must be at most 65535 (got 70000)');
  rejects({ TaskTemplate: image, EndpointSpec: { Ports: [{ TargetPort: 0 }] } }, 'invalid ServiceSpec: EndpointSpec.Ports[0].TargetPort must be at least 1 (got 0)');
  rejects({ TaskTemplate: image, EndpointSpec: { Ports: [{ TargetPort: '80' }] } }, 'invalid ServiceSpec: EndpointSpec.Ports[0].TargetPort must be an integer between 1 and 65535 (got "80")');
  rejects({ TaskTemplate: image, EndpointSpec: { Ports: [{}] } }, /EndpointSpec\.Ports\[0\]\.TargetPort is required/);
  rejects({ TaskTemplate: image, EndpointSpec: { Ports: [{ TargetPort: 80, Protocol: 'http' }] } }, /Protocol must be one of "tcp", "udp", "sctp" \(got "http"\)/);
  rejects({ TaskTemplate: image, EndpointSpec: { Ports: [{ TargetPort: 80, PublishMode: 'mesh' }] } }, /PublishMode must be one of "ingress", "host"/);
  rejects({ TaskTemplate: image, EndpointSpec: { Mode: 'roundrobin' } }, /EndpointSpec\.Mode must be one of "vip", "dnsrr"/);
});

test('integers are bounded: ajv takes 1e300 for an integer, the schema does not', () => {
  const MAX = Number.MAX_SAFE_INTEGER;
  rejects({ TaskTemplate: image, Mode: { Replicated: { Replicas: 1e300 } } }, 'invalid ServiceSpec: Mode.Replicated.Replicas must be at most 100000 (got 1e+300)');
  rejects({ TaskTemplate: image, Mode: { Replicated: { Replicas: 100001 } } }, 'invalid ServiceSpec: Mode.Replicated.Replicas must be at most 100000 (got 100001)');
  assert.deepEqual(validateServiceSpec({ TaskTemplate: image, Mode: { Replicated: { Replicas: 100000 } } }).Mode, { Replicated: { Replicas: 100000 } });

  // Every duration, by the path the message must name.
  const durations: [string, (v: number) => object][] = [
    ['TaskTemplate.RestartPolicy.Delay', (v) => ({ TaskTemplate: { ...image, RestartPolicy: { Delay: v } } })],
    ['TaskTemplate.RestartPolicy.Window', (v) => ({ TaskTemplate: { ...image, RestartPolicy: { Window: v } } })],
    ['TaskTemplate.ContainerSpec.StopGracePeriod', (v) => ({ TaskTemplate: { ContainerSpec: { Image: 'busybox', StopGracePeriod: v } } })],
    ...(['Interval', 'Timeout', 'StartPeriod'] as const).map((f): [string, (v: number) => object] => [
      `TaskTemplate.ContainerSpec.Healthcheck.${f}`,
      (v) => ({ TaskTemplate: { ContainerSpec: { Image: 'busybox', HealthCheck: { [f]: v } } } }),
    ]),
    ...(['UpdateConfig', 'RollbackConfig'] as const).flatMap((c) =>
      (['Delay', 'Monitor'] as const).map((f): [string, (v: number) => object] => [`${c}.${f}`, (v) => ({ TaskTemplate: image, [c]: { [f]: v } })]),
    ),
  ];
  assert.equal(durations.length, 10);
  for (const [path, body] of durations) {
    rejects(body(1e300), `invalid ServiceSpec: ${path} must be at most ${MAX} nanoseconds (got 1e+300)`);
    rejects(body(MAX + 1), `invalid ServiceSpec: ${path} must be at most ${MAX} nanoseconds (got ${MAX + 1})`);
    rejects(body(-1), `invalid ServiceSpec: ${path} must be at least 0 nanoseconds (got -1)`);
    rejects(body(0.5), `invalid ServiceSpec: ${path} must be a whole number of nanoseconds between 0 and ${MAX} (got 0.5)`);
    validateServiceSpec(body(MAX));
    validateServiceSpec(body(0));
  }

  const counts: [string, number, (v: number) => object][] = [
    ['TaskTemplate.RestartPolicy.MaxAttempts', MAX, (v) => ({ TaskTemplate: { ...image, RestartPolicy: { MaxAttempts: v } } })],
    ['TaskTemplate.Placement.MaxReplicas', 100000, (v) => ({ TaskTemplate: { ...image, Placement: { MaxReplicas: v } } })],
    ['UpdateConfig.Parallelism', 100000, (v) => ({ TaskTemplate: image, UpdateConfig: { Parallelism: v } })],
    ['RollbackConfig.Parallelism', 100000, (v) => ({ TaskTemplate: image, RollbackConfig: { Parallelism: v } })],
    ['TaskTemplate.Resources.Limits.MemoryBytes', MAX, (v) => ({ TaskTemplate: { ...image, Resources: { Limits: { MemoryBytes: v } } } })],
    ['TaskTemplate.ContainerSpec.Ulimits[0].Soft', MAX, (v) => ({ TaskTemplate: { ContainerSpec: { Image: 'busybox', Ulimits: [{ Name: 'nofile', Soft: v }] } } })],
  ];
  for (const [path, max, body] of counts) {
    rejects(body(1e300), `invalid ServiceSpec: ${path} must be at most ${max} (got 1e+300)`);
    rejects(body(max + 1), `invalid ServiceSpec: ${path} must be at most ${max} (got ${max + 1})`);
    validateServiceSpec(body(max));
  }
});

test('job modes get Swarm defaults; start-first is valid', () => {
  assert.deepEqual(validateServiceSpec({ TaskTemplate: image, Mode: { ReplicatedJob: { MaxConcurrent: 2 } } }).Mode, { ReplicatedJob: { MaxConcurrent: 2, TotalCompletions: 2 } });
  assert.deepEqual(validateServiceSpec({ TaskTemplate: image, Mode: { ReplicatedJob: {} } }).Mode, { ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } });
  assert.deepEqual(validateServiceSpec({ TaskTemplate: image, Mode: { GlobalJob: {} } }).Mode, { GlobalJob: {} });
  rejects({ TaskTemplate: image, Mode: { ReplicatedJob: { MaxConcurrent: 0 } } }, /Mode\.ReplicatedJob\.MaxConcurrent must be at least 1/);
  assert.equal(validateServiceSpec({ TaskTemplate: image, UpdateConfig: { Order: 'start-first' }, RollbackConfig: { Order: 'start-first' } }).UpdateConfig?.Order, 'start-first');
  // Malformed still comes first, as a 400.
  rejects({ TaskTemplate: image, Mode: { GlobalJob: 1 } }, 'invalid ServiceSpec: Mode.GlobalJob must be an object (got 1)');
  rejects({ TaskTemplate: image, Mode: { Replicated: {}, GlobalJob: {} } }, /Mode must set exactly one of .* \(got Replicated and GlobalJob\)/);
  rejects({ TaskTemplate: image, UpdateConfig: { Order: 'random' } }, 'invalid ServiceSpec: UpdateConfig.Order must be one of "stop-first", "start-first" (got "random")');
  assert.deepEqual(validateServiceSpec({ TaskTemplate: image, UpdateConfig: { Order: 'stop-first' }, RollbackConfig: { Order: 'stop-first' } }).UpdateConfig, {
    Order: 'stop-first',
    Parallelism: 0,
    FailureAction: 'pause',
    MaxFailureRatio: 0,
  });
});

test('duplicate published ports and ingress ports with dnsrr are refused', () => {
  rejects(
    { TaskTemplate: image, EndpointSpec: { Ports: [{ TargetPort: 80, PublishedPort: 8080 }, { TargetPort: 81, PublishedPort: 8080 }] } },
    'invalid ServiceSpec: EndpointSpec.Ports: published port 8080/tcp is given more than once',
  );
  // Same number, other protocol: allowed.
  validateServiceSpec({ TaskTemplate: image, EndpointSpec: { Ports: [{ TargetPort: 53, PublishedPort: 53 }, { TargetPort: 53, PublishedPort: 53, Protocol: 'udp' }] } });
  rejects({ TaskTemplate: image, EndpointSpec: { Mode: 'dnsrr', Ports: [{ TargetPort: 80, PublishedPort: 8080 }] } }, /can't be used with dnsrr mode/);
  validateServiceSpec({ TaskTemplate: image, EndpointSpec: { Mode: 'dnsrr', Ports: [{ TargetPort: 80, PublishedPort: 8080, PublishMode: 'host' }] } });
});

test('name format follows Swarm: a DNS label of at most 63 characters', () => {
  for (const name of ['web', 'my_stack_web', 'a-b-1', 'X']) assert.equal(validateServiceSpec({ Name: name, TaskTemplate: image }).Name, name);
  for (const name of ['-web', 'web-', 'my.web', 'we b', 'wéb']) rejects({ Name: name, TaskTemplate: image }, new RegExp(`^invalid name "${name.replace('.', '\\.')}": only \\[a-zA-Z0-9\\]`));
  rejects({ Name: 'a'.repeat(64), TaskTemplate: image }, /at most 63 characters/);
  validateServiceSpec({ Name: 'a'.repeat(63), TaskTemplate: image });
});

test('image is required', () => {
  rejects({ Name: 'web' }, 'invalid ServiceSpec: TaskTemplate.ContainerSpec.Image is required: name the image the tasks run, e.g. nginx:1.27');
  rejects({ Name: 'web', TaskTemplate: { ContainerSpec: { Image: '  ' } } }, /ContainerSpec\.Image is required/);
});

test('mode: exactly one; Replicated{Replicas: 1} when absent', () => {
  assert.deepEqual(validateServiceSpec({ TaskTemplate: image }).Mode, { Replicated: { Replicas: 1 } });
  assert.deepEqual(validateServiceSpec({ TaskTemplate: image, Mode: {} }).Mode, { Replicated: { Replicas: 1 } });
  assert.deepEqual(validateServiceSpec({ TaskTemplate: image, Mode: { Replicated: {} } }).Mode, { Replicated: { Replicas: 1 } });
  assert.deepEqual(validateServiceSpec({ TaskTemplate: image, Mode: { Replicated: { Replicas: 0 } } }).Mode, { Replicated: { Replicas: 0 } });
  assert.deepEqual(validateServiceSpec({ TaskTemplate: image, Mode: { Global: {} } }).Mode, { Global: {} });
  rejects({ TaskTemplate: image, Mode: { Replicated: { Replicas: 2 }, Global: {} } }, 'invalid ServiceSpec: Mode must set exactly one of Replicated, Global, ReplicatedJob, GlobalJob (got Replicated and Global)');
});

test('constraints are parsed with the scheduler syntax and its messages', () => {
  rejects({ TaskTemplate: { ...image, Placement: { Constraints: ['node.foo==bar'] } } }, /^invalid constraint "node\.foo==bar": unknown key "node\.foo"/);
  rejects({ TaskTemplate: { ...image, Placement: { Constraints: ['node.labels.zone'] } } }, /^invalid constraint "node\.labels\.zone": use <key>==<value>/);
  validateServiceSpec({ TaskTemplate: { ...image, Placement: { Constraints: ['node.role==manager', 'node.labels.zone!=eu'] } } });
});

test('resources: memory of at least 4 MiB, CPU of at least 0.001', () => {
  rejects(
    { TaskTemplate: { ...image, Resources: { Limits: { MemoryBytes: 1024 } } } },
    'invalid ServiceSpec: TaskTemplate.Resources.Limits.MemoryBytes 1024 is too small: it must be at least 4MiB (4194304 bytes)',
  );
  rejects({ TaskTemplate: { ...image, Resources: { Reservations: { MemoryBytes: 4194303 } } } }, /Reservations\.MemoryBytes 4194303 is too small/);
  rejects({ TaskTemplate: { ...image, Resources: { Limits: { NanoCPUs: 10 } } } }, /Limits\.NanoCPUs 10 is too small/);
  validateServiceSpec({ TaskTemplate: { ...image, Resources: { Limits: { MemoryBytes: 4194304, NanoCPUs: 0 }, Reservations: { MemoryBytes: 0 } } } });
});

test('mounts: known type, absolute target, absolute bind source, no tmpfs source, no duplicate target', () => {
  const withMount = (m: object) => ({ TaskTemplate: { ContainerSpec: { Image: 'busybox', Mounts: [m] } } });
  rejects(withMount({ Type: 'nfs', Target: '/data' }), /Mounts\[0\]\.Type must be one of "bind", "volume", "tmpfs"/);
  rejects(withMount({ Type: 'npipe', Target: '/data' }), /Mounts\[0\]\.Type npipe is not supported on Linux nodes/);
  rejects(withMount({ Target: '/data' }), /Mounts\[0\]\.Type is required/);
  rejects(withMount({ Type: 'volume', Source: 'v', Target: 'data' }), 'invalid ServiceSpec: TaskTemplate.ContainerSpec.Mounts[0].Target must be an absolute path in the container (got "data")');
  rejects(withMount({ Type: 'bind', Source: 'rel/dir', Target: '/data' }), /Mounts\[0\]\.Source of a bind mount must be an absolute host path \(got "rel\/dir"\)/);
  rejects(withMount({ Type: 'tmpfs', Source: '/x', Target: '/data' }), /Source must be empty for a tmpfs mount/);
  rejects(
    { TaskTemplate: { ContainerSpec: { Image: 'busybox', Mounts: [{ Type: 'volume', Target: '/d' }, { Type: 'tmpfs', Target: '/d' }] } } },
    /Mounts\[1\]\.Target \/d is mounted twice/,
  );
  validateServiceSpec(withMount({ Type: 'bind', Source: '/srv', Target: '/data', ReadOnly: true }));
  validateServiceSpec(withMount({ Type: 'volume', Target: '/data' }));
});

test('unknown fields are dropped as the Engine does; nulls count as absent', () => {
  const out = validateServiceSpec({
    Name: 'web',
    Bogus: { a: 1 },
    TaskTemplate: { ContainerSpec: { Image: 'busybox', OomScoreAdj: 5, Init: null, Labels: { keep: 'me' } } },
    EndpointSpec: null,
  });
  assert.deepEqual(out, {
    Name: 'web',
    Labels: {},
    TaskTemplate: { ContainerSpec: { Image: 'busybox', Labels: { keep: 'me' }, Isolation: 'default' }, ForceUpdate: 0 },
    Mode: { Replicated: { Replicas: 1 } },
  });
});

test('the spec is kept in the form dockerd keeps it: enum zero values by name, fields without omitempty present', () => {
  const out = validateServiceSpec({
    TaskTemplate: { ContainerSpec: { Image: 'busybox', Isolation: '' }, RestartPolicy: { Delay: 1e9 }, Runtime: 'container' },
    UpdateConfig: { Parallelism: 2, Delay: 0, Monitor: 0 },
    RollbackConfig: {},
    EndpointSpec: { Ports: [{ TargetPort: 80 }, { TargetPort: 53, Protocol: 'udp', PublishMode: 'host' }] },
  });
  assert.deepEqual(out.TaskTemplate, { ContainerSpec: { Image: 'busybox', Isolation: 'default' }, RestartPolicy: { Delay: 1e9, Condition: 'any', MaxAttempts: 0 }, ForceUpdate: 0 });
  // Swarm keeps no zero Monitor (its updater then uses 5 s) and shows no zero Delay.
  assert.deepEqual(out.UpdateConfig, { Parallelism: 2, FailureAction: 'pause', MaxFailureRatio: 0, Order: 'stop-first' });
  assert.deepEqual(out.RollbackConfig, { Parallelism: 0, FailureAction: 'pause', MaxFailureRatio: 0, Order: 'stop-first' });
  assert.deepEqual(out.EndpointSpec, {
    Mode: 'vip',
    Ports: [
      { TargetPort: 80, Protocol: 'tcp', PublishMode: 'ingress' },
      { TargetPort: 53, Protocol: 'udp', PublishMode: 'host' },
    ],
  });
  assert.deepEqual(validateServiceSpec(out), out, 'the form is stable: a spec read back and sent again is the same spec');
});

test('Runtime: container only; plugin services are not implemented, other runtimes unknown to the Engine', () => {
  assert.throws(() => validateServiceSpec({ TaskTemplate: { ...image, Runtime: 'plugin' } }), (e: Error) => e.name === 'NotImplementedError' && /Runtime plugin is not supported/.test(e.message));
  rejects({ TaskTemplate: { ...image, Runtime: 'attachment' } }, /^unsupported runtime: TaskTemplate\.Runtime "attachment"/);
});

test('NodeSpec: enums for role and availability, labels are strings, unknown fields dropped', () => {
  assert.deepEqual(validateNodeSpec({ Availability: 'drain', Labels: { a: 'b' }, Extra: 1 }), { Availability: 'drain', Labels: { a: 'b' } });
  assert.throws(() => validateNodeSpec({ Availability: 'paused' }), /^InvalidArgumentError: invalid NodeSpec: Availability must be one of "active", "pause", "drain" \(got "paused"\)$/);
  assert.throws(() => validateNodeSpec({ Role: 'leader' }), /invalid NodeSpec: Role must be one of "worker", "manager"/);
  assert.throws(() => validateNodeSpec({ Labels: { a: true } }), /invalid NodeSpec: Labels\.a must be a string \(got true\)/);
});

test('field names match case-insensitively, as Go decodes them: the yaml documents ContainerSpec.HealthCheck, dockerd spells it Healthcheck', () => {
  const spec = validateServiceSpec({
    Name: 'web',
    TaskTemplate: { ContainerSpec: { Image: 'i', HealthCheck: { Test: ['CMD', 'true'], Interval: 1e9 } }, networks: [{ target: 'n' }] },
  });
  assert.deepEqual(spec.TaskTemplate?.ContainerSpec?.Healthcheck, { Test: ['CMD', 'true'], Interval: 1e9 });
  assert.equal('HealthCheck' in (spec.TaskTemplate?.ContainerSpec ?? {}), false);
  assert.deepEqual(spec.TaskTemplate?.Networks, [{ Target: 'n' }]);
  // Map keys are data, not fields: they keep their case.
  const labelled = validateServiceSpec({ Name: 'web', Labels: { Image: 'x', image: 'y' }, TaskTemplate: { ContainerSpec: { Image: 'i' } } });
  assert.deepEqual(labelled.Labels, { Image: 'x', image: 'y' });
});
