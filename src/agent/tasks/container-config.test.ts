import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NetworkAttachment, Task } from '../../types/index.js';
import type { OldContainerSpec } from '../../common/healthcheck.js';
import { containerConfig, containerName, endpointConfig, stopGraceSeconds } from './container-config.js';

const owner = { clusterId: 'cluster1', nodeId: 'node1' };

function task(over: Partial<Task> = {}): Task {
  return {
    ID: 'task1',
    Version: { Index: 1 },
    CreatedAt: '',
    UpdatedAt: '',
    Spec: { ContainerSpec: { Image: 'localhost/app:1' } },
    ServiceID: 'svc1',
    Slot: 2,
    NodeID: 'node1',
    Status: { Timestamp: '', State: 'assigned', Message: '' },
    DesiredState: 'running',
    BerthService: { Name: 'web', Labels: {} },
    ...over,
  };
}

test('name follows Swarm: service.slot.task, node id for global tasks', () => {
  assert.equal(containerName(task()), 'web.2.task1');
  assert.equal(containerName(task({ Slot: 0 })), 'web.node1.task1');
  assert.equal(containerConfig(task(), owner).name, 'web.2.task1');
});

test('labels: spec labels, Swarm mirror labels and Berth ownership labels', () => {
  const t = task({ Spec: { ContainerSpec: { Image: 'x', Labels: { app: 'a', 'berth.node.id': 'spoofed', 'berth.cluster.id': 'spoofed' } } } });
  assert.deepEqual(containerConfig(t, owner).Labels, {
    app: 'a',
    'com.docker.swarm.task': '',
    'com.docker.swarm.task.id': 'task1',
    'com.docker.swarm.task.name': 'web.2.task1',
    'com.docker.swarm.service.id': 'svc1',
    'com.docker.swarm.service.name': 'web',
    'com.docker.swarm.node.id': 'node1',
    'berth.cluster.id': 'cluster1',
    'berth.node.id': 'node1',
    'berth.task.id': 'task1',
    'berth.service.id': 'svc1',
    'berth.slot': '2',
  });
});

test('Command is the entrypoint and Args the command; plain fields map across', () => {
  const c = containerConfig(
    task({
      Spec: {
        ContainerSpec: {
          Image: 'img',
          Command: ['/bin/app'],
          Args: ['--port', '80'],
          Env: ['A=1'],
          Dir: '/srv',
          User: '1000:1000',
          Hostname: 'h1',
          TTY: true,
          OpenStdin: true,
          ReadOnly: true,
          Groups: ['audio'],
          StopSignal: 'SIGINT',
          Healthcheck: { Test: ['CMD', 'true'], Interval: 1e9, Timeout: 2e9, Retries: 3, StartPeriod: 4e9 },
          Init: true,
          Sysctls: { 'net.core.somaxconn': '1024' },
          CapabilityAdd: ['NET_ADMIN'],
          CapabilityDrop: ['MKNOD'],
          Ulimits: [{ Name: 'nofile', Soft: 100, Hard: 200 }],
          DNSConfig: { Nameservers: ['1.1.1.1'], Search: ['example.org'], Options: ['ndots:2'] },
        },
      },
    }),
    owner,
  );
  assert.equal(c.Image, 'img');
  assert.deepEqual(c.Entrypoint, ['/bin/app']);
  assert.deepEqual(c.Cmd, ['--port', '80']);
  assert.deepEqual(c.Env, ['A=1']);
  assert.equal(c.WorkingDir, '/srv');
  assert.equal(c.User, '1000:1000');
  assert.equal(c.Hostname, 'h1');
  assert.equal(c.Tty, true);
  assert.equal(c.OpenStdin, true);
  assert.equal(c.StopSignal, 'SIGINT');
  assert.deepEqual(c.Healthcheck, { Test: ['CMD', 'true'], Interval: 1e9, Timeout: 2e9, Retries: 3, StartPeriod: 4e9 });
  const h = c.HostConfig!;
  assert.equal(h.ReadonlyRootfs, true);
  assert.deepEqual(h.GroupAdd, ['audio']);
  assert.equal(h.Init, true);
  assert.deepEqual(h.Sysctls, { 'net.core.somaxconn': '1024' });
  assert.deepEqual(h.CapAdd, ['NET_ADMIN']);
  assert.deepEqual(h.CapDrop, ['MKNOD']);
  assert.deepEqual(h.Ulimits, [{ Name: 'nofile', Soft: 100, Hard: 200 }]);
  assert.deepEqual(h.Dns, ['1.1.1.1']);
  assert.deepEqual(h.DnsSearch, ['example.org']);
  assert.deepEqual(h.DnsOptions, ['ndots:2']);
});

test("a task from a manager that still spelled it HealthCheck keeps its healthcheck; Healthcheck wins over it", () => {
  const check = { Test: ['CMD', 'true'], Interval: 1e9 };
  const old: OldContainerSpec = { Image: 'x', HealthCheck: check };
  assert.deepEqual(containerConfig(task({ Spec: { ContainerSpec: old } }), owner).Healthcheck, check);
  const both: OldContainerSpec = { ...old, Healthcheck: { Test: ['NONE'] } };
  assert.deepEqual(containerConfig(task({ Spec: { ContainerSpec: both } }), owner).Healthcheck, { Test: ['NONE'] });
});

test('the engine never restarts a task container', () => {
  assert.deepEqual(containerConfig(task(), owner).HostConfig?.RestartPolicy, { Name: 'no' });
});

test('no Command/Args leaves the image defaults; Init null is not sent', () => {
  const c = containerConfig(task({ Spec: { ContainerSpec: { Image: 'i', Init: null } } }), owner);
  assert.equal(c.Entrypoint, undefined);
  assert.equal(c.Cmd, undefined);
  assert.equal(c.HostConfig?.Init, undefined);
});

test('stop grace period in whole seconds, 10 s by default', () => {
  assert.equal(stopGraceSeconds(task()), 10);
  assert.equal(containerConfig(task(), owner).StopTimeout, 10);
  const t = (ns: number): Task => task({ Spec: { ContainerSpec: { Image: 'i', StopGracePeriod: ns } } });
  assert.equal(containerConfig(t(2e9), owner).StopTimeout, 2);
  assert.equal(stopGraceSeconds(t(1.5e9)), 2, 'rounded up, never shorter than asked');
  assert.equal(stopGraceSeconds(t(0)), 0);
});

test('resource limits bound the container; reservations only schedule (moby executor resources())', () => {
  const c = containerConfig(
    task({
      Spec: {
        ContainerSpec: { Image: 'i' },
        Resources: { Limits: { NanoCPUs: 5e8, MemoryBytes: 64 << 20, Pids: 100 }, Reservations: { NanoCPUs: 25e7, MemoryBytes: 32 << 20 } },
      },
    }),
    owner,
  );
  assert.equal(c.HostConfig?.NanoCpus, 5e8);
  assert.equal(c.HostConfig?.Memory, 64 << 20);
  assert.equal(c.HostConfig?.PidsLimit, 100);
  assert.equal(c.HostConfig?.MemoryReservation, undefined);
  assert.equal(c.HostConfig?.CpuShares, undefined);
});

test('mounts: bind, volume with options, tmpfs', () => {
  const c = containerConfig(
    task({
      Spec: {
        ContainerSpec: {
          Image: 'i',
          Mounts: [
            { Type: 'bind', Source: '/data', Target: '/d', ReadOnly: true, BindOptions: { Propagation: 'rprivate' } },
            {
              Type: 'volume',
              Source: 'vol',
              Target: '/v',
              VolumeOptions: { NoCopy: true, Labels: { a: 'b' }, DriverConfig: { Name: 'local', Options: { o: 'x' } } },
            },
            { Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1 << 20, Mode: 0o1777 } },
          ],
        },
      },
    }),
    owner,
  );
  const mounts = c.HostConfig?.Mounts as unknown as Record<string, unknown>[];
  assert.equal(mounts.length, 3);
  assert.deepEqual(
    { ...mounts[0] },
    {
      Type: 'bind',
      Source: '/data',
      Target: '/d',
      ReadOnly: true,
      Consistency: undefined,
      BindOptions: { Propagation: 'rprivate' },
      VolumeOptions: undefined,
      TmpfsOptions: undefined,
    },
  );
  assert.deepEqual(mounts[1]?.VolumeOptions, { NoCopy: true, Labels: { a: 'b' }, DriverConfig: { Name: 'local', Options: { o: 'x' } } });
  assert.equal(mounts[1]?.Source, 'vol');
  assert.equal(mounts[2]?.Type, 'tmpfs');
  assert.equal(mounts[2]?.Source, '');
  assert.deepEqual(mounts[2]?.TmpfsOptions, { SizeBytes: 1 << 20, Mode: 0o1777 });
  assert.equal(mounts[2]?.VolumeOptions, undefined);
});

test('hosts: Swarm "IP name aliases" lines become name:IP per name', () => {
  const c = containerConfig(task({ Spec: { ContainerSpec: { Image: 'i', Hosts: ['10.0.0.1 db db.local', '10.0.0.2  cache'] } } }), owner);
  assert.deepEqual(c.HostConfig?.ExtraHosts, ['db:10.0.0.1', 'db.local:10.0.0.1', 'cache:10.0.0.2']);
});

test('host-mode ports bind on the node; ingress ports are the load balancer\'s, not the engine\'s', () => {
  const c = containerConfig(
    task({
      BerthService: {
        Name: 'web',
        Labels: {},
        Endpoint: {
          Ports: [
            { TargetPort: 8080, PublishedPort: 18080, PublishMode: 'host', Protocol: 'tcp' },
            { TargetPort: 53, PublishedPort: 1053, Protocol: 'udp' },
            { TargetPort: 9000, PublishMode: 'host' },
          ],
        },
      },
    }),
    owner,
  );
  assert.deepEqual(c.ExposedPorts, { '8080/tcp': {}, '9000/tcp': {} });
  assert.deepEqual(c.HostConfig?.PortBindings, {
    '8080/tcp': [{ HostPort: '18080' }],
    '9000/tcp': [{ HostPort: '' }],
  });
  assert.equal(containerConfig(task(), owner).ExposedPorts, undefined);
});

test('log driver maps to the container log config', () => {
  const c = containerConfig(task({ Spec: { ContainerSpec: { Image: 'i' }, LogDriver: { Name: 'json-file', Options: { 'max-size': '1m' } } } }), owner);
  assert.deepEqual(c.HostConfig?.LogConfig, { Type: 'json-file', Config: { 'max-size': '1m' } });
});

function network(name: string, id: string, subnet: string): NetworkAttachment['Network'] {
  return { ID: id, Version: { Index: 1 }, CreatedAt: '', UpdatedAt: '', Spec: { Name: name }, IPAMOptions: { Configs: [{ Subnet: subnet }] } };
}

const attached = (): Partial<Task> => ({
  NetworksAttachments: [
    { Network: network('backend', 'abcdefghijklmnop', '10.0.3.0/24'), Addresses: ['10.0.3.7/24'], BerthAliases: ['web', 'tasks.web', 'db'] },
    { Network: network('frontend', 'qrstuvwxyz012345', '10.0.4.0/24'), Addresses: ['10.0.4.9/24'], BerthAliases: ['web', 'tasks.web'] },
  ],
});

test('networks: the first is joined at create at the allocated address and its derived MAC; the engine name carries the ID', () => {
  const c = containerConfig(task(attached()), owner);
  assert.equal(c.HostConfig?.NetworkMode, 'berth_backend_abcdefghijkl');
  assert.deepEqual(c.NetworkingConfig, { EndpointsConfig: { berth_backend_abcdefghijkl: { IPAMConfig: { IPv4Address: '10.0.3.7' }, MacAddress: '02:42:0a:00:03:07' } } });
  assert.deepEqual(endpointConfig(attached().NetworksAttachments![1]!), { IPAMConfig: { IPv4Address: '10.0.4.9' }, MacAddress: '02:42:0a:00:04:09' });
  const none = containerConfig(task(), owner);
  assert.equal(none.HostConfig?.NetworkMode, undefined, 'no networks: the engine default');
  assert.equal(none.NetworkingConfig, undefined);
  assert.equal(none.HostConfig?.Dns, undefined);
});

test('resolver: the first network\'s gateway with ndots:0, as Swarm; a spec DNSConfig wins field by field', () => {
  const c = containerConfig(task(attached()), owner);
  assert.deepEqual(c.HostConfig?.Dns, ['10.0.3.1']);
  assert.deepEqual(c.HostConfig?.DnsOptions, ['ndots:0']);
  const own = task({ ...attached(), Spec: { ContainerSpec: { Image: 'i', DNSConfig: { Nameservers: ['1.1.1.1'], Options: ['ndots:2'] } } } });
  assert.deepEqual(containerConfig(own, owner).HostConfig?.Dns, ['1.1.1.1']);
  const options = task({ ...attached(), Spec: { ContainerSpec: { Image: 'i', DNSConfig: { Options: ['ndots:2'] } } } });
  assert.deepEqual(containerConfig(options, owner).HostConfig?.DnsOptions, ['ndots:2']);
  assert.deepEqual(containerConfig(options, owner).HostConfig?.Dns, ['10.0.3.1']);
});
