// Registry benchmark: Berth's registry beside Debian's docker-registry (CNCF distribution 2.8),
// both on loopback plain HTTP with filesystem storage under /tmp, each a process of its own.
// A real client (skopeo) pushes `dir:` images (blobs uploaded as they are, no recompression) and
// pulls them back to fresh `dir:`s, with 1 and 4 concurrent clients, each client its own image
// so no upload can be skipped as already present. Every measurement starts a fresh registry on
// empty storage and a new port, so neither the registry's content nor skopeo's blob-info cache
// (keyed by registry host) can turn an upload into a mount; a small warm-up push and pull of other
// blobs comes first, untimed. Every timed phase starts with no dirty pages (sync). Beside MiB/s,
// each registry's CPU seconds per GiB moved; peak RSS is each process's VmHWM. With token auth
// in Berth, BERTH_ADMIN_PASSWORD is its admin's password and skopeo passes it.
// Usage: node --import tsx bench/registry.ts [--big-mib 256] [--layers 20] [--layer-mib 8] [--rounds 5] [--only big|multi] [--clients N] [--verbose]

import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { createGzip } from 'node:zlib';
import { freePort } from '../test/helpers/berth.js';
import { arg, median, until } from './lib.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..');
const WORK = '/tmp/berth-bench-registry';
const MiB = 2 ** 20;
const BIG_MIB = arg('big-mib', 256);
const LAYERS = arg('layers', 20);
const LAYER_MIB = arg('layer-mib', 8);
const ROUNDS = arg('rounds', 5);
const CLIENTS = process.argv.includes('--clients') ? [arg('clients', 1)] : [1, 4];
const ONLY = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const VERBOSE = process.argv.includes('--verbose');
const PASSWORD = process.env.BERTH_ADMIN_PASSWORD ?? `bench-${randomBytes(8).toString('hex')}`;

interface BenchImage {
  label: string;
  /** One `dir:` per client, each with different content. */
  dirs: string[];
  /** Bytes of blobs (layers + config) a push or pull of one copy moves. */
  bytes: number;
}

/**
 * makeImage writes a skopeo `dir:` image whose layers are random data in gzip's stored (level 0)
 * format: incompressible like real layers, recognised by the client as compressed so it sends
 * them as they are, and cheap to generate.
 */
async function makeImage(dir: string, layerBytes: number[]): Promise<number> {
  const marker = join(dir, 'done');
  if (existsSync(marker)) return Number(await readFile(marker, 'utf8'));
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const layers: { mediaType: string; digest: string; size: number }[] = [];
  const diffIds: string[] = [];
  for (const size of layerBytes) {
    const tmp = join(dir, 'layer.tmp');
    const raw = createHash('sha256');
    const packed = createHash('sha256');
    let packedSize = 0;
    const random = Readable.from(
      (function* () {
        for (let left = size; left > 0; left -= MiB) {
          const chunk = randomFillSync(Buffer.allocUnsafe(Math.min(MiB, left)));
          raw.update(chunk);
          yield chunk;
        }
      })(),
    );
    const gzip = createGzip({ level: 0 });
    gzip.on('data', (d: Buffer) => {
      packed.update(d);
      packedSize += d.length;
    });
    await pipeline(random, gzip, createWriteStream(tmp));
    const hex = packed.digest('hex');
    await rename(tmp, join(dir, hex));
    layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${hex}`, size: packedSize });
    diffIds.push(`sha256:${raw.digest('hex')}`);
  }
  const configBytes = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: diffIds } }));
  const configHex = createHash('sha256').update(configBytes).digest('hex');
  await writeFile(join(dir, configHex), configBytes);
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${configHex}`, size: configBytes.length },
    layers,
  };
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
  await writeFile(join(dir, 'version'), 'Directory Transport Version: 1.1\n');
  const bytes = configBytes.length + layers.reduce((n, l) => n + l.size, 0);
  await writeFile(marker, String(bytes));
  return bytes;
}

/** Small images pushed and pulled untimed after each start (see warmUp). */
async function makeWarmUpImage(): Promise<BenchImage> {
  const dirs = Array.from({ length: Math.max(...CLIENTS) }, (_, k) => join(WORK, 'images', `warm-4x1-${k}`));
  let bytes = 0;
  for (const dir of dirs) bytes = await makeImage(dir, Array.from({ length: 4 }, () => MiB));
  return { label: 'warm-up', dirs, bytes };
}

async function makeImages(): Promise<BenchImage[]> {
  const specs = [
    { label: `${BIG_MIB} MiB, 1 layer`, key: `big-${BIG_MIB}`, layers: [BIG_MIB * MiB] },
    { label: `${LAYERS} layers x ${LAYER_MIB} MiB`, key: `multi-${LAYERS}x${LAYER_MIB}`, layers: Array.from({ length: LAYERS }, () => LAYER_MIB * MiB) },
  ];
  const images: BenchImage[] = [];
  for (const s of specs.filter((spec) => !ONLY || spec.key.startsWith(ONLY))) {
    const dirs = Array.from({ length: Math.max(...CLIENTS) }, (_, k) => join(WORK, 'images', `${s.key}-${k}`));
    let bytes = 0;
    for (const dir of dirs) bytes = await makeImage(dir, s.layers);
    images.push({ label: s.label, dirs, bytes });
  }
  return images;
}

interface RunningRegistry {
  name: string;
  host: string;
  /** skopeo flags for credentials (Berth with token auth). */
  creds: (direction: 'src' | 'dest') => string[];
  proc: ChildProcess;
}

type Kind = 'distribution' | 'berth';

async function startRegistry(kind: Kind): Promise<RunningRegistry> {
  const port = await freePort();
  const dir = join(WORK, 'registries', kind);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  let proc: ChildProcess;
  if (kind === 'distribution') {
    const config = join(dir, 'config.yml');
    await writeFile(
      config,
      [
        'version: 0.1',
        'log: {level: warn}',
        `storage: {filesystem: {rootdirectory: ${join(dir, 'data')}}, delete: {enabled: true}}`,
        `http: {addr: "127.0.0.1:${port}"}`,
        '',
      ].join('\n'),
    );
    proc = spawn('docker-registry', ['serve', config], { stdio: 'ignore' });
  } else {
    const env = { ...process.env, BERTH_LOG_LEVEL: 'warn', BERTH_ADMIN_PASSWORD: PASSWORD };
    proc = spawn(process.execPath, [join(ROOT, 'bin/berth.js'), 'registry', '--data-dir', join(dir, 'data'), '--listen', `127.0.0.1:${port}`], { env, stdio: 'ignore' });
  }
  const host = `127.0.0.1:${port}`;
  const exited = new Promise<never>((_, reject) => proc.once('exit', (code) => reject(new Error(`${kind} exited with ${code} before answering`))));
  await Promise.race([until(async () => fetch(`http://${host}/v2/`).then((r) => r.status === 200 || r.status === 401, () => false), `${kind} start`, 30_000), exited]);
  exited.catch(() => undefined);
  const creds = (direction: 'src' | 'dest'): string[] => (kind === 'berth' ? [`--${direction}-creds`, `admin:${PASSWORD}`] : []);
  return { name: kind, host, creds, proc };
}

/** stopRegistry ends the process and returns its peak resident set size in bytes. */
async function stopRegistry(r: RunningRegistry): Promise<number> {
  const status = await readFile(`/proc/${r.proc.pid}/status`, 'utf8');
  const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
  const exit = new Promise((done) => r.proc.once('exit', done));
  r.proc.kill('SIGTERM');
  await exit;
  return hwm;
}

async function skopeo(args: string[]): Promise<void> {
  try {
    await run('skopeo', ['copy', '-q', ...args], { maxBuffer: 16 * MiB });
  } catch (err) {
    throw new Error(`skopeo copy ${args.join(' ')}: ${(err as { stderr?: string }).stderr ?? (err as Error).message}`);
  }
}

/**
 * settle writes every dirty page back before a timed phase, so neither registry's timing pays for
 * the disk writes another phase left behind (distribution never fsyncs; removing a registry's
 * storage and skopeo's pulled copies leave work for the kernel too).
 */
async function settle(): Promise<void> {
  await run('sync');
}

/** CPU seconds (user + system) a process has used so far; the kernel counts in 1/100 s ticks. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface Timing {
  /** Aggregate MiB/s of all clients. */
  rate: number;
  /** The registry's CPU seconds per GiB moved: steadier than the rate, and what 4 clients compete for. */
  cpuPerGiB: number;
}

/** timed runs the clients at once and measures the rate and the registry's CPU. */
async function timed(r: RunningRegistry, image: BenchImage, clients: number, one: (k: number) => Promise<void>): Promise<Timing> {
  const cpu = await cpuSeconds(r.proc.pid!);
  const start = performance.now();
  await Promise.all(Array.from({ length: clients }, (_, k) => one(k)));
  const secs = (performance.now() - start) / 1000;
  const mib = (image.bytes * clients) / MiB;
  return { rate: mib / secs, cpuPerGiB: ((await cpuSeconds(r.proc.pid!)) - cpu) / (mib / 1024) };
}

interface Sample {
  push: Timing;
  pull: Timing;
}

/** Pushes `image` from `clients` clients at once, then pulls it back into fresh `dir:`s and checks the blobs. */
async function pushAndPull(r: RunningRegistry, image: BenchImage, clients: number, repository: string): Promise<Sample> {
  const ref = (k: number): string => `docker://${r.host}/library/${repository}-${k}:1`;
  const pulled = (k: number): string => join(WORK, 'pulled', `${r.name}-${k}`);
  await settle();
  const push = await timed(r, image, clients, (k) => skopeo(['--dest-tls-verify=false', ...r.creds('dest'), `dir:${image.dirs[k]}`, ref(k)]));
  await Promise.all(Array.from({ length: clients }, (_, k) => rm(pulled(k), { recursive: true, force: true })));
  await settle();
  const pull = await timed(r, image, clients, (k) => skopeo(['--src-tls-verify=false', ...r.creds('src'), ref(k), `dir:${pulled(k)}`]));
  for (let k = 0; k < clients; k++) {
    const got = (await readdir(pulled(k))).filter((f) => /^[0-9a-f]{64}$/.test(f));
    const want = (await readdir(image.dirs[k]!)).filter((f) => /^[0-9a-f]{64}$/.test(f));
    if (got.sort().join() !== want.sort().join()) throw new Error(`${r.name}: client ${k} pulled different blobs than it pushed`);
    await rm(pulled(k), { recursive: true, force: true });
  }
  return { push, pull };
}

/**
 * measure starts a registry on empty storage, warms it up, and times one push and one pull.
 * The warm-up pushes and pulls a small image of other blobs from as many clients, untimed: a
 * registry in production is long running, and the figures are meant to be its throughput, not
 * the first seconds of a process (Node compiles its hot paths as they first run; Go does not
 * need to). It also logs the clients in, so the one password check per login is not timed.
 */
async function measure(kind: Kind, image: BenchImage, clients: number, tag: string): Promise<Sample> {
  const r = await startRegistry(kind);
  try {
    await pushAndPull(r, warmUpImage, clients, `warm-${tag}`);
    return await pushAndPull(r, image, clients, `bench-${tag}`);
  } finally {
    const rss = await stopRegistry(r);
    peakRss[kind] = Math.max(peakRss[kind], rss);
  }
}

const describe = (s: Sample): string =>
  (['push', 'pull'] as const).map((op) => `${op} ${s[op].rate.toFixed(0)} MiB/s (${s[op].cpuPerGiB.toFixed(2)} CPU s/GiB)`).join(', ');

const peakRss: Record<Kind, number> = { distribution: 0, berth: 0 };

const { stdout: skopeoVersion } = await run('skopeo', ['--version']);
const { stdout: distVersion } = await run('docker-registry', ['--version']);
await mkdir(join(WORK, 'pulled'), { recursive: true });
const warmUpImage = await makeWarmUpImage();
const images = await makeImages();
const rows: string[][] = [];
for (const image of images) {
  for (const clients of CLIENTS) {
    const samples: Record<Kind, Sample[]> = { distribution: [], berth: [] };
    for (let round = 0; round < ROUNDS; round++) {
      const order: Kind[] = round % 2 === 0 ? ['distribution', 'berth'] : ['berth', 'distribution'];
      for (const kind of order) {
        const sample = await measure(kind, image, clients, `${round}`);
        samples[kind].push(sample);
        if (VERBOSE) console.error(`${image.label}, ${clients} client(s), round ${round}, ${kind}: ${describe(sample)}`);
      }
    }
    for (const op of ['push', 'pull'] as const) {
      const d = median(samples.distribution.map((s) => s[op].rate));
      const b = median(samples.berth.map((s) => s[op].rate));
      const cpu = (kind: Kind): string => median(samples[kind].map((s) => s[op].cpuPerGiB)).toFixed(2);
      // Rounds in which Berth moved faster than distribution did in the same round: the machine's speed drifts between rounds.
      const ahead = samples.berth.filter((s, i) => s[op].rate > samples.distribution[i]![op].rate).length;
      rows.push([image.label, String(clients), op, d.toFixed(0), b.toFixed(0), (b / d).toFixed(2), `${ahead}/${ROUNDS}`, cpu('distribution'), cpu('berth')]);
    }
  }
}

const header = ['image', 'clients', 'op', 'distribution MiB/s', 'Berth MiB/s', 'Berth/distribution', 'rounds Berth ahead', 'CPU s/GiB distribution', 'Berth'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]): string => cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
console.log(`registry push/pull with ${skopeoVersion.trim()}, ${distVersion.trim()} vs Berth, loopback HTTP, median of ${ROUNDS} round(s):`);
console.log(`  ${line(header)}`);
for (const r of rows) console.log(`  ${line(r)}`);
console.log(`  peak RSS: distribution ${(peakRss.distribution / MiB).toFixed(0)} MiB, Berth ${(peakRss.berth / MiB).toFixed(0)} MiB`);
await rm(join(WORK, 'registries'), { recursive: true, force: true });
