// Overlay networking: throughput and latency with wrk between two real hosts (test hosts, each
// with its own Podman and agent; a Berth manager on the bridge), side by side in one run:
// direct to the task's overlay address, through its service's VIP, through the routing mesh on
// a host that runs no task, and direct on an encrypted overlay (WireGuard tunnel). Then how soon
// a new healthy task receives VIP traffic and how soon a removed one stops getting new
// connections, and what a load-balancer update costs with 1,000 services × 10 tasks on a node:
// one service changed incrementally vs the whole table rewritten (kube-proxy's nftables lesson).
// Swarm is no peer here: without IPVS (this kernel) its VIPs and mesh answer nothing.
//
//   node --import tsx bench/overlay.ts [--seconds 8] [--connections 8]

import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger } from '../src/common/log.js';
import { OverlayDataPath } from '../src/agent/overlay/datapath.js';
import { desiredRuleset, parseRuleset, rulesetBatch, TABLE } from '../src/agent/overlay/ruleset.js';
import type { NodeNetworkView, ServiceEndpointView } from '../src/types/network-view.js';
import { TEST_IMAGE, testEngine } from '../test/helpers/engine.js';
import { createTestNetwork, saveImage, type TestHost, type TestNetwork } from '../test/helpers/hosts/index.js';
import type { CapturedProcess } from '../test/helpers/process.js';
import { BIN, docker, freePort, managerApi, startManager, tempDir, type ManagerProcess } from '../test/helpers/berth.js';
import { arg, median, until } from './lib.js';

const SECONDS = arg('seconds', 8);
const CONNECTIONS = arg('connections', 8);
const WEB = ['sh', '-c', 'mkdir -p /www && hostname > /www/index.html && dd if=/dev/zero of=/www/big bs=1024 count=1024 2>/dev/null && exec httpd -f -p 80 -h /www'];

interface WrkResult {
  requestsPerSec: number;
  mbPerSec: number;
  p50: number;
  p99: number;
}

let net: TestNetwork | undefined;
let manager: ManagerProcess | undefined;
const agents: CapturedProcess[] = [];
const dir = tempDir('bench-overlay');

async function main(): Promise<void> {
  net = await createTestNetwork({ name: 'bench-overlay', hosts: 3 });
  const [engine] = await Promise.all([testEngine(), net.startEngines()]);
  const image = join(dir, 'image.tar');
  await saveImage(engine.docker, TEST_IMAGE, image);
  await Promise.all(net.hosts.map((h) => h.loadImage(image)));
  manager = await startManager(join(dir, 'manager'), await freePort(), {}, { args: ['--cluster-listen', `${net.gateway}:0`] });
  const m = manager;
  for (const h of net.hosts) {
    agents.push(h.spawn(process.execPath, [BIN, 'agent', '--join', m.join, '--token', m.token, '--engine', h.engine.url, '--hostname', h.name, '--data-dir', join(h.dir, 'agent'), '--tunnel-interface', `bwg-${h.name}`]));
  }
  const { api, running } = managerApi(() => m.url);
  await until(async () => (await api<{ Status: { State: string } }[]>('/nodes')).filter((n) => n.Status.State === 'ready').length === 3, 'three hosts ready', 60_000);
  const cli = async (args: string[]): Promise<void> => {
    const r = await docker(m.url, args, 120_000);
    if (r.code !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr}`);
  };
  const port = await freePort();
  await cli(['network', 'create', '-d', 'overlay', 'plain']);
  await cli(['network', 'create', '-d', 'overlay', '--opt', 'encrypted', 'enc']);
  await cli(['service', 'create', '-d', '--name', 'srv', '--network', 'plain', '--constraint', 'node.hostname==h2', '--publish', `${port}:80`, TEST_IMAGE, ...WEB]);
  await cli(['service', 'create', '-d', '--name', 'srvenc', '--network', 'enc', '--constraint', 'node.hostname==h2', TEST_IMAGE, ...WEB]);
  await cli(['service', 'create', '-d', '--name', 'cli', '--network', 'plain', '--network', 'enc', '--constraint', 'node.hostname==h1', TEST_IMAGE, 'sleep', '100000']);
  for (const s of ['srv', 'srvenc', 'cli']) await until(async () => (await running(s)).length === 1, `${s} running`, 120_000);

  const address = async (service: string, network: string): Promise<string> => {
    const [t] = await running(service);
    const n = await api<{ Id: string }>(`/networks/${network}`);
    return t!.NetworksAttachments!.find((a) => a.Network.ID === n.Id)!.Addresses![0]!.split('/')[0]!;
  };
  const vip = async (service: string, network: string): Promise<string> => {
    const s = await api<{ Endpoint: { VirtualIPs: { NetworkID: string; Addr: string }[] } }>(`/services/${service}`);
    const n = await api<{ Id: string }>(`/networks/${network}`);
    return s.Endpoint.VirtualIPs.find((v) => v.NetworkID === n.Id)!.Addr.split('/')[0]!;
  };
  const [cliTask] = await running('cli');
  const pid = (await net.host('h1').engine.docker.getContainer(cliTask!.Status.ContainerStatus!.ContainerID!).inspect()).State.Pid;
  const h1 = net.host('h1');
  const h3 = net.host('h3');
  // Settle: first packets through the tunnel start its handshake.
  await h1.exec('nsenter', ['-t', String(pid), '-n', 'wget', '-q', '-O', '/dev/null', `http://${await address('srvenc', 'enc')}/`]).catch(() => undefined);

  const targets: [string, (path: string) => Promise<WrkResult>][] = [
    ['direct (task address)', async (p) => wrkIn(pid, `http://${await address('srv', 'plain')}${p}`)],
    ['VIP', async (p) => wrkIn(pid, `http://${await vip('srv', 'plain')}${p}`)],
    ['routing mesh (host without a task)', async (p) => wrkOn(h1, `http://${h3.ip}:${port}${p}`)],
    ['encrypted overlay (direct)', async (p) => wrkIn(pid, `http://${await address('srvenc', 'enc')}${p}`)],
  ];
  const small: WrkResult[] = [];
  const big: WrkResult[] = [];
  for (const [, run] of targets) {
    small.push(await run('/index.html'));
    big.push(await run('/big'));
  }
  console.log(`\nOverlay throughput between two hosts (wrk, ${CONNECTIONS} connections, ${SECONDS} s each; busybox httpd: one process per connection)`);
  console.log('path                                   small req/s  ratio   p50 ms  p99 ms  p99 ratio   1 MiB MB/s  ratio');
  targets.forEach(([name], i) => {
    const s = small[i]!;
    const b = big[i]!;
    console.log(
      `${name.padEnd(38)} ${s.requestsPerSec.toFixed(0).padStart(11)}  ${(s.requestsPerSec / small[0]!.requestsPerSec).toFixed(2).padStart(5)}  ${s.p50.toFixed(2).padStart(7)} ${s.p99.toFixed(2).padStart(7)}  ${(s.p99 / small[0]!.p99).toFixed(2).padStart(9)}  ${b.mbPerSec.toFixed(1).padStart(11)}  ${(b.mbPerSec / big[0]!.mbPerSec).toFixed(2).padStart(5)}`,
    );
  });

  await followsTasks(pid, await vip('srv', 'plain'), cli, running);
  await stopCluster();
  await ruleUpdates();
}

/** wrkIn runs wrk in a container's network namespace (the host's binary, the container's view of the network). */
function wrkIn(pid: number, url: string): Promise<WrkResult> {
  return wrk(['nsenter', '-t', String(pid), '-n', 'wrk'], url);
}

function wrkOn(host: TestHost, url: string): Promise<WrkResult> {
  return wrk(['nsenter', `--net=${host.netns}`, 'wrk'], url);
}

async function wrk(prefix: string[], url: string): Promise<WrkResult> {
  const out = await new Promise<string>((resolve, reject) => {
    const p = spawn(prefix[0]!, [...prefix.slice(1), '-t1', `-c${CONNECTIONS}`, `-d${SECONDS}s`, '--latency', url], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    p.stdout.on('data', (d: Buffer) => (text += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`wrk ${url} exited ${code}: ${text}`))));
  });
  const ms = (label: string): number => {
    const m = new RegExp(`^\\s*${label}\\s+([\\d.]+)(us|ms|s)`, 'm').exec(out);
    if (!m) return NaN;
    return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
  };
  const transfer = /Transfer\/sec:\s+([\d.]+)(B|KB|MB|GB)/.exec(out);
  const scale = { B: 1 / 2 ** 20, KB: 1 / 1024, MB: 1, GB: 1024 }[(transfer?.[2] ?? 'MB') as 'B' | 'KB' | 'MB' | 'GB'];
  if (/Non-2xx|Socket errors/.test(out)) console.log(`  (${url}: ${out.match(/(Non-2xx.*|Socket errors.*)/)?.[0]})`);
  return { requestsPerSec: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN), mbPerSec: Number(transfer?.[1] ?? NaN) * scale, p50: ms('50%'), p99: ms('99%') };
}

/**
 * followsTasks: a client in h1's task asks the VIP as fast as it can, printing when and who
 * answered; a second replica is added (time from its RUNNING, which for a task is healthy, to its
 * first answer), then removed (time from the scale-down to its last new connection).
 */
async function followsTasks(pid: number, vip: string, cli: (args: string[]) => Promise<void>, running: (s: string) => Promise<{ ID: string; Status: { State: string } }[]>): Promise<void> {
  const script = `const http=require('http');let on=true;process.on('SIGTERM',()=>on=false);(async()=>{while(on){await new Promise(r=>{const q=http.get({host:'${vip}',path:'/index.html',agent:false,timeout:2000},s=>{let b='';s.on('data',d=>b+=d);s.on('end',()=>{console.log(Date.now()+' '+b.trim());r()})});q.on('error',()=>{console.log(Date.now()+' ERR');r()});q.on('timeout',()=>q.destroy())})}})()`;
  const loop = spawn('nsenter', ['-t', String(pid), '-n', process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: [number, string][] = [];
  let buffered = '';
  loop.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    for (const l of parts) lines.push([Number(l.split(' ')[0]), l.slice(l.indexOf(' ') + 1)]);
  });
  await new Promise((r) => setTimeout(r, 1000));
  const before = new Set(lines.map(([, h]) => h));
  await cli(['service', 'scale', '-d', 'srv=2']);
  let runningAt = 0;
  await until(async () => {
    const tasks = await running('srv');
    if (tasks.length === 2 && !runningAt) runningAt = Date.now();
    return tasks.length === 2;
  }, 'second replica running', 120_000);
  await until(async () => lines.some(([, h]) => !before.has(h) && h !== 'ERR'), 'the new replica answers', 30_000);
  const newHost = lines.find(([, h]) => !before.has(h) && h !== 'ERR')!;
  const toTraffic = newHost[0] - runningAt;
  await new Promise((r) => setTimeout(r, 2000));
  const scaledAt = Date.now();
  await cli(['service', 'scale', '-d', 'srv=1']);
  await until(async () => (await running('srv')).length === 1, 'back to one replica', 120_000);
  await new Promise((r) => setTimeout(r, 3000));
  loop.kill('SIGTERM');
  const survivor = lines[lines.length - 1]![1];
  const gone = [...new Set(lines.map(([, h]) => h))].filter((h) => h !== survivor && h !== 'ERR');
  const lastToGone = Math.max(...lines.filter(([t, h]) => t >= scaledAt && gone.includes(h)).map(([t]) => t), scaledAt);
  const errors = lines.filter(([t, h]) => t >= scaledAt && h === 'ERR').length;
  console.log('\nFollowing tasks through the VIP (a client asking as fast as it can)');
  console.log(`  new task: RUNNING (healthy) to its first VIP answer   ${toTraffic} ms (polling the API at 100 ms: the RUNNING time is late by up to that)`);
  console.log(`  scale-down: request to the removed task's last answer ${lastToGone - scaledAt} ms; failed requests meanwhile: ${errors}`);
}

/**
 * ruleUpdates: the load balancer of one node with 1,000 services × 10 tasks on one network,
 * in a namespace of its own: the first apply builds everything; then one service's backends
 * change, applied incrementally (the agent's way) and as a whole-table rewrite.
 */
async function ruleUpdates(): Promise<void> {
  const bench = await createTestNetwork({ name: 'bench-nft', hosts: 1 });
  try {
    const host = bench.host('h1');
    const ip = (n: number): string => `10.${128 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;
    const services = (changed: number): ServiceEndpointView[] =>
      Array.from({ length: 1000 }, (_, s) => ({
        id: `svc${s}`,
        name: `svc${s}`,
        aliases: [],
        vip: ip(2 + s),
        ports: [],
        backends: Array.from({ length: 10 }, (_, t) => ip(2000 + s * 10 + t + (s === changed ? 50_000 : 0))),
      }));
    const view = (changed: number): NodeNetworkView[] => [
      { id: 'n'.repeat(25), name: 'big', vni: 5000, subnet: '10.128.0.0/15', gateway: '10.128.0.1', mtu: 1450, internal: false, ingress: false, attachable: false, encrypted: false, localAddress: '10.129.255.250', peers: [], services: services(changed), tasks: [], containers: [] },
    ];
    const dp = new OverlayDataPath({ underlay: host.ip, netns: host.netns, log: silentLogger() });
    const t0 = performance.now();
    await dp.apply(view(-1));
    const full = performance.now() - t0;
    const incremental: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      await dp.apply(view(i % 2 === 0 ? 7 : -1));
      incremental.push(performance.now() - t);
    }
    // The same change as one whole-table rewrite: delete the table and load all of it.
    const file = join(dir, 'full.nft');
    writeFileSync(file, `delete table ip ${TABLE}\n${rulesetBatch(desiredRuleset(view(7)), parseRuleset(undefined))}\n`);
    const rewrites: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      const r = await host.exec('nft', ['-f', file]);
      if (r.code !== 0) throw new Error(`nft -f: ${r.stderr}`);
      rewrites.push(performance.now() - t);
    }
    console.log('\nLoad-balancer updates on one node: 1,000 services × 10 tasks (10,000 backends)');
    console.log(`  first apply (everything)                   ${full.toFixed(0)} ms`);
    console.log(`  one service's backends changed, incremental ${median(incremental).toFixed(0)} ms (median of 5: diffed against the last apply, one nft batch)`);
    console.log(`  the same change as a whole-table rewrite   ${median(rewrites).toFixed(0)} ms (median of 3, nft alone); ratio ${(median(rewrites) / median(incremental)).toFixed(2)}`);
    await dp.removeAll();
  } finally {
    await bench.destroy();
  }
}

async function stopCluster(): Promise<void> {
  await Promise.all(agents.map((a) => a.stop()));
  await manager?.proc.stop();
  await net?.destroy();
  net = undefined;
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(async () => {
    await stopCluster().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
