// The tunnel's interface: the kernel's WireGuard where the kernel has it, else wireguard-go, a
// daemon of its own (new session, parent pid 1) that outlives the agent, so a restarted agent
// adopts the interface and traffic never stops. wireguard-go's control socket
// (/var/run/wireguard/NAME.sock) is per mount namespace, not per network namespace: `wg` would
// reach another namespace's daemon of the same name, so a daemon counts as ours only when it
// runs in our network namespace.

import { readdir, readFile, readlink, rm } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Logger } from '../../common/log.js';
import { must, tool } from './tunnel-exec.js';

export type TunnelKind = 'kernel' | 'wireguard-go';

const WIREGUARD_GO = 'wireguard-go';
const SOCKET_DIR = '/var/run/wireguard';
const STOP_MS = 3_000;

export interface LinkState {
  /** `ip -d link`'s info_kind: wireguard (the kernel's) or tun (wireguard-go's). */
  kind: string | undefined;
  mtu: number;
  up: boolean;
}

/** linkState reads the interface; undefined when there is none. */
export async function linkState(name: string): Promise<LinkState | undefined> {
  const r = await tool('ip', ['-d', '-j', 'link', 'show', 'dev', name]);
  if (r.code !== 0) return undefined;
  const [l] = JSON.parse(r.stdout) as { mtu: number; flags: string[]; linkinfo?: { info_kind?: string } }[];
  return l && { kind: l.linkinfo?.info_kind, mtu: l.mtu, up: l.flags.includes('UP') };
}

/** wireguardGoPid finds the daemon serving the interface in this process's network namespace. */
export async function wireguardGoPid(name: string): Promise<number | undefined> {
  const ours = await readlink('/proc/self/ns/net');
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // A zombie's cmdline is empty, so an exited daemon never matches.
      const argv = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0');
      if (basename(argv[0] ?? '') !== WIREGUARD_GO || argv[1] !== name) continue;
      if ((await readlink(`/proc/${entry}/ns/net`)) === ours) return Number(entry);
    } catch {
      // The process ended while we looked.
    }
  }
  return undefined;
}

async function alive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** The daemon's own words, without the banner it prints on every start. */
function daemonError(stderr: string): string {
  return stderr.split('\n').filter((l) => l.trim() && !/[│┌└]/.test(l)).join('; ');
}

async function startWireguardGo(name: string): Promise<void> {
  // Without LOG_LEVEL the daemon's output goes to /dev/null, so its parent returns once it has forked.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'LOG_LEVEL' && !k.startsWith('WG_')));
  const r = await tool(WIREGUARD_GO, [name], { detached: true, env });
  if (r.code === 0) return;
  const words = daemonError(r.stderr) || `exit ${r.code}`;
  const hint = /in use/i.test(words) ? ` (another network namespace runs wireguard-go for ${name}: give this node's tunnel another interface name)` : '';
  throw new Error(`wireguard-go ${name}: ${words}${hint}`);
}

/**
 * ensureDevice makes sure the interface exists and is driven by WireGuard (kernel or our own
 * daemon), adopting one that does; it says what it changed.
 */
export async function ensureDevice(name: string, log: Logger): Promise<{ kind: TunnelKind; changes: string[] }> {
  const changes: string[] = [];
  const link = await linkState(name);
  if (link?.kind === 'wireguard') return { kind: 'kernel', changes };
  if (link?.kind === 'tun' && (await wireguardGoPid(name)) !== undefined) return { kind: 'wireguard-go', changes };
  if (link) {
    // A TUN whose daemon is gone, or something else under our name: it carries nothing of ours.
    await must('ip', ['link', 'del', 'dev', name]);
    changes.push(`removed ${name} (${link.kind ?? 'unknown kind'}, no WireGuard behind it)`);
  }
  const kernel = await tool('ip', ['link', 'add', 'dev', name, 'type', 'wireguard']);
  if (kernel.code === 0) {
    changes.push(`created ${name} (kernel WireGuard)`);
    return { kind: 'kernel', changes };
  }
  log.info({ interface: name, ip: kernel.stderr.trim() }, 'no WireGuard in the kernel: starting wireguard-go');
  await startWireguardGo(name);
  changes.push(`created ${name} (wireguard-go)`);
  return { kind: 'wireguard-go', changes };
}

/** removeDevice stops our wireguard-go (it removes its interface) or deletes the kernel's interface. */
export async function removeDevice(name: string): Promise<string[]> {
  const changes: string[] = [];
  const pid = await wireguardGoPid(name);
  if (pid !== undefined) {
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + STOP_MS;
    while ((await alive(pid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (await alive(pid)) process.kill(pid, 'SIGKILL');
    // Left behind when the daemon could not remove it (killed): it was ours, and nobody listens.
    await rm(`${SOCKET_DIR}/${name}.sock`, { force: true });
    changes.push(`stopped wireguard-go ${name} (pid ${pid})`);
  }
  if (await linkState(name)) {
    await must('ip', ['link', 'del', 'dev', name]);
    changes.push(`removed ${name}`);
  }
  return changes;
}
