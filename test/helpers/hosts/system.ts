// What the machine holds: processes and the network namespace each is in, mounts, and the
// names of network namespaces, links and nftables tables (parsed from the listing commands).

import { existsSync, readdirSync, readFileSync, readlinkSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from './script.js';

interface ProcessInfo {
  pid: number;
  ppid: number;
  comm: string;
  /** Z for a zombie: dead, waiting for its parent to reap it. */
  state: string;
  /** The inode of its network namespace (0 when unreadable: exited, or a zombie). */
  netns: number;
}

export function processes(): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const [state = '', ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      let netns = 0;
      try {
        netns = Number(/\[(\d+)\]/.exec(readlinkSync(`/proc/${pid}/ns/net`))?.[1] ?? 0);
      } catch {
        // a zombie has left its namespaces
      }
      found.push({ pid, ppid: Number(ppid), comm, state, netns });
    } catch {
      // exited while we looked
    }
  }
  return found;
}

/** The inode that identifies a named network namespace, as /proc/PID/ns/net shows it. */
export function netnsInode(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

/** kill sends SIGKILL to each pid; it gives how many were still there. */
export function kill(pids: number[]): number {
  let n = 0;
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
      n++;
    } catch {
      // already gone
    }
  }
  return n;
}

/** The cgroup paths a process is in (one per hierarchy, as /proc/PID/cgroup lists them), but the root. */
export function cgroupsOf(pid: number): string[] {
  try {
    const paths = readFileSync(`/proc/${pid}/cgroup`, 'utf8')
      .split('\n')
      .map((line) => line.split(':').slice(2).join(':'))
      .filter((p) => p.length > 1);
    return [...new Set(paths)];
  } catch {
    return []; // exited while we looked
  }
}

const CGROUP_ROOT = '/sys/fs/cgroup';

/**
 * removeCgroups removes the given cgroups, which must be empty, from every hierarchy that has
 * them (v1 mounts one per controller under /sys/fs/cgroup; v2 is /sys/fs/cgroup itself). It
 * forgets those removed and gives how many are left: a process killed a moment ago may not have
 * left its cgroup yet.
 */
export function removeCgroups(paths: Set<string>): number {
  const roots = [CGROUP_ROOT, ...readdirSync(CGROUP_ROOT).map((d) => join(CGROUP_ROOT, d))];
  for (const path of paths) {
    let busy = false;
    for (const root of roots) {
      const dir = join(root, path);
      if (!existsSync(join(dir, 'cgroup.procs'))) continue;
      try {
        rmdirSync(dir);
      } catch {
        busy = true;
      }
    }
    if (!busy) paths.delete(path);
  }
  return paths.size;
}

/** Mount points the predicate picks, deepest first (so each can be unmounted in turn). */
export function mounts(pick: (path: string) => boolean): string[] {
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => !!p)
    // mountinfo escapes space, tab, newline and backslash as octal.
    .map((p) => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter(pick);
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

export const within = (dir: string) => (path: string): boolean => path === dir || path.startsWith(`${dir}/`);

export const LIST_NETNS: Command = { cmd: 'ip', args: ['netns', 'list'] };
export const LIST_LINKS: Command = { cmd: 'ip', args: ['-o', 'link', 'show'] };
export const LIST_TABLES: Command = { cmd: 'nft', args: ['list', 'tables'] };

/** Names from `ip netns list` ("name (id: 3)"). */
export const netnsNames = (out: string): string[] => out.split('\n').map((l) => l.split(' ')[0] ?? '').filter(Boolean);
/** Names from `ip -o link show` ("7: name@if6: <...>"). */
export const linkNames = (out: string): string[] =>
  out.split('\n').map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1] ?? '').filter(Boolean);
/** inet table names from `nft list tables` ("table inet name"). */
export const inetTables = (out: string): string[] =>
  out.split('\n').map((l) => /^table inet (\S+)/.exec(l.trim())?.[1] ?? '').filter(Boolean);
