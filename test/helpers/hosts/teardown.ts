// Removing a network: what its hosts run, the containers their engines made, mounts, namespaces,
// links, the nftables table, then its directory. Everything is found by name and namespace from
// the network's number alone, so the same script removes a live network (destroy), one a test
// left at exit, and one a crashed run left behind.

import { existsSync, rmSync } from 'node:fs';
import { isolatedPodmanEnv } from '../../../src/agent/engine/podman.js';
import { bridgeName, engineDir, netnsPath, networkDir, parseName } from './names.js';
import type { Command, Script } from './script.js';
import { cgroupsOf, inetTables, kill, LIST_LINKS, LIST_NETNS, LIST_TABLES, linkNames, mounts, netnsInode, netnsNames, processes, removeCgroups, within } from './system.js';

/**
 * Left running until the engines have removed their containers (which conmon watches), and
 * containerd's shims (a host may run a dockerd of its own): a container's first process is a
 * shim's child, found through it, and re-parented out of reach once the shim is gone.
 */
const ENGINE_COMMANDS = new Set(['podman', 'conmon', 'containerd-shim']);
const KILL_ROUNDS = 100;

/** teardown removes whatever exists of network `id`; it gives what it could not remove (then the directory stays). */
export function* teardown(id: number): Script<string[]> {
  const dir = networkDir(id);
  const [ns, links, tables] = yield { run: [LIST_NETNS, LIST_LINKS, LIST_TABLES] };
  const namespaces = ours(id, netnsNames(ns!.stdout));
  const inodes = new Set(namespaces.map((n) => netnsInode(netnsPath(n))).filter((i): i is number => i !== undefined));

  // Processes in the hosts first, but not the engines: nothing may start a container while they go.
  kill(processes().filter((p) => inodes.has(p.netns) && !ENGINE_COMMANDS.has(p.comm)).map((p) => p.pid));

  // Each engine removes its containers from its own storage, inside its host (where netavark undoes its rules).
  const engines = namespaces.filter((n) => existsSync(`${engineDir(id, parseName(n)!.host!)}/storage.conf`));
  if (engines.length > 0) yield { run: engines.map((n) => removeContainers(n, engineDir(id, parseName(n)!.host!))) };

  // Then everything left in the hosts, with their children: a container's first process is a
  // child of conmon or of a shim, in the container's own namespace.
  let survivors: number[] = [];
  // A container no engine removed (a dockerd's, killed above) leaves its cgroups behind.
  const cgroups = new Set<string>();
  for (let round = 0; ; round++) {
    const all = processes().filter((p) => p.state !== 'Z');
    const inHosts = new Map(all.filter((p) => inodes.has(p.netns)).map((p) => [p.pid, p.comm]));
    const doomed = all.filter((p) => inHosts.has(p.pid) || inHosts.has(p.ppid));
    for (const p of doomed) if (!inHosts.has(p.pid) && ENGINE_COMMANDS.has(inHosts.get(p.ppid)!)) cgroupsOf(p.pid).forEach((c) => cgroups.add(c));
    if (kill(doomed.map((p) => p.pid)) === 0) break;
    if (round === KILL_ROUNDS) {
      survivors = doomed.map((p) => p.pid);
      break;
    }
    yield { sleepMs: 20 };
  }
  // Its processes may take a moment to leave them.
  for (let round = 0; removeCgroups(cgroups) > 0 && round < KILL_ROUNDS; round++) yield { sleepMs: 20 };

  // Storage leaves overlay and shm mounts behind when an engine dies with containers.
  const stuck = mounts(within(dir));
  if (stuck.length > 0) yield { run: [{ cmd: 'umount', args: ['--lazy', ...stuck] }] };

  // A veth goes with either end, the bridge last.
  const bridge = bridgeName(id);
  const lines = [
    ...ours(id, linkNames(links!.stdout)).filter((l) => l !== bridge).map((l) => `link del ${l}`),
    ...namespaces.map((n) => `netns del ${n}`),
    ...(linkNames(links!.stdout).includes(bridge) ? [`link del ${bridge}`] : []),
  ];
  const network: Command[] = ours(id, inetTables(tables!.stdout)).map((t) => ({ cmd: 'nft', args: ['delete', 'table', 'inet', t] }));
  if (lines.length > 0) network.push({ cmd: 'ip', args: ['-force', '-batch', '-'], input: `${lines.join('\n')}\n` });
  if (network.length > 0) yield { run: network };

  const left = [...(yield* leftovers(id)), ...survivors.map((pid) => `process ${pid}`), ...[...cgroups].map((c) => `cgroup ${c}`)];
  if (left.length === 0) rmSync(dir, { recursive: true, force: true });
  return left;
}

/** leftovers lists the namespaces, links, tables and mounts of network `id` that exist. */
function* leftovers(id: number): Script<string[]> {
  const [ns, links, tables] = yield { run: [LIST_NETNS, LIST_LINKS, LIST_TABLES] };
  const dir = networkDir(id);
  const netnsMount = (path: string): boolean => path.startsWith('/run/netns/') && parseName(path.slice('/run/netns/'.length))?.id === id;
  return [
    ...ours(id, netnsNames(ns!.stdout)).map((n) => `namespace ${n}`),
    ...ours(id, linkNames(links!.stdout)).map((l) => `link ${l}`),
    ...ours(id, inetTables(tables!.stdout)).map((t) => `nftables table inet ${t}`),
    ...mounts((p) => within(dir)(p) || netnsMount(p)).map((m) => `mount ${m}`),
  ];
}

const ours = (id: number, names: string[]): string[] => names.filter((n) => parseName(n)?.id === id);

function removeContainers(netns: string, dataDir: string): Command {
  return {
    cmd: 'nsenter',
    args: [`--net=${netnsPath(netns)}`, '--', 'podman', 'rm', '--all', '--force', '--time', '0'],
    env: { ...process.env, ...isolatedPodmanEnv(dataDir) },
  };
}
