// Network numbers: claiming a free one, and removing the networks of runs that died. A network's
// directory is its claim: it appears whole (renamed into place with its owner file), and names
// its owner by pid and start time, so a reused pid is not mistaken for the owner. Claims and the
// removal of dead owners' networks happen under one lock, so two test files starting together
// never take the same number, and no network is removed while another process claims it.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BASE_DIR, defaultSubnet, FIRST_ID, LAST_ID, networkDir, overlaps, parseName } from './names.js';
import { must, run, runScript } from './script.js';
import { inetTables, LIST_LINKS, LIST_NETNS, LIST_TABLES, linkNames, netnsNames } from './system.js';
import { teardown } from './teardown.js';

const LOCK = join(BASE_DIR, '.lock');
const OWNER = 'owner.json';
const LOCK_TIMEOUT_S = 120;

interface Owner {
  pid: number;
  /** Field 22 of /proc/PID/stat: when the process started, in clock ticks since boot. */
  started: string;
  name: string;
  subnet: string;
}

/** claim takes a free network number and subnet (the one wanted, or 10.213.N.0/24) for `name`. */
export function claim(name: string, wanted?: string): Promise<{ id: number; subnet: string }> {
  return locked(async () => {
    await removeDead();
    const routes = (await must({ cmd: 'ip', args: ['-4', 'route', 'show'] }))
      .split('\n')
      .map((l) => l.split(' ')[0] ?? '')
      .filter((dst) => /^\d/.test(dst));
    const claimed = (await numbers()).map((id) => readOwner(id)?.subnet).filter((s): s is string => !!s);
    const span = LAST_ID - FIRST_ID + 1;
    for (let i = 0; i < span; i++) {
      // Start from the pid, so files starting together rarely try the same numbers.
      const id = FIRST_ID + ((process.pid + i) % span);
      if (existsSync(networkDir(id))) continue;
      const cidr = wanted ?? defaultSubnet(id);
      const clash = [...routes, ...claimed].find((r) => overlaps(r, cidr));
      if (clash && wanted) throw new Error(`subnet ${wanted} overlaps ${clash}, which is in use on this machine; pick another`);
      if (clash) continue;
      const tmp = await mkdtemp(join(BASE_DIR, '.claim-'));
      const owner: Owner = { pid: process.pid, started: startTime(process.pid)!, name, subnet: cidr };
      await writeFile(join(tmp, OWNER), JSON.stringify(owner));
      await rename(tmp, networkDir(id));
      return { id, subnet: cidr };
    }
    throw new Error(`no free test network: numbers ${FIRST_ID}-${LAST_ID} are all taken or routed (see ${BASE_DIR})`);
  });
}

/** removeDead removes the networks whose owner is gone, and any harness object with no claim. */
async function removeDead(): Promise<void> {
  const dead = new Set<number>();
  for (const id of await numbers()) {
    const owner = readOwner(id);
    if (!owner || startTime(owner.pid) !== owner.started) dead.add(id);
  }
  const [ns, links, tables] = await Promise.all([LIST_NETNS, LIST_LINKS, LIST_TABLES].map(run));
  for (const name of [...netnsNames(ns!.stdout), ...linkNames(links!.stdout), ...inetTables(tables!.stdout)]) {
    const id = parseName(name)?.id;
    if (id !== undefined && !existsSync(networkDir(id))) dead.add(id);
  }
  for (const id of dead) {
    const left = await runScript(teardown(id));
    if (left.length > 0) process.emitWarning(`test network ${id} of a finished run could not be removed: ${left.join(', ')}`);
  }
  // Claims are made under the lock, so a half-made one is a crash's.
  for (const entry of await readdir(BASE_DIR)) {
    if (entry.startsWith('.claim-')) await rm(join(BASE_DIR, entry), { recursive: true, force: true });
  }
}

async function numbers(): Promise<number[]> {
  return (await readdir(BASE_DIR)).filter((e) => /^\d+$/.test(e)).map(Number);
}

function readOwner(id: number): Owner | undefined {
  try {
    return JSON.parse(readFileSync(join(networkDir(id), OWNER), 'utf8')) as Owner;
  } catch {
    return undefined;
  }
}

function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/**
 * locked runs fn holding the harness's lock. flock(1) holds it for us, and lets go when its input
 * closes: when we release it, and also when this process dies, whatever the way.
 */
async function locked<T>(fn: () => Promise<T>): Promise<T> {
  await mkdir(BASE_DIR, { recursive: true });
  const holder = spawn('flock', ['--timeout', String(LOCK_TIMEOUT_S), LOCK, 'sh', '-c', 'echo locked; exec cat >/dev/null'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    holder.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      if (output.includes('locked')) resolve();
    });
    holder.stderr.on('data', (d: Buffer) => (output += d.toString()));
    holder.once('error', reject);
    holder.once('exit', (code) => reject(new Error(`could not take ${LOCK} (flock exit ${code}): ${output.trim()}`)));
  });
  try {
    return await fn();
  } finally {
    holder.stdin.end();
  }
}
