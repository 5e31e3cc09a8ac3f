// The WireGuard tunnel encrypted overlays run in (src/agent/overlay/tunnel*.ts), on real hosts:
// each host's tunnel is applied from inside it, as its agent does, and a VXLAN device built by
// hand over the tunnel addresses stands for an encrypted network. Checked: traffic crosses at
// full overlay MTU, the wire shows WireGuard only, cleartext sent by a third host is dropped
// (and gets through once the guard is gone), a second apply changes nothing, peers leave, the
// tunnel survives the process that built it, and removal leaves nothing.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ENCRYPTED_OVERLAY_MTU, ENCRYPTED_VXLAN_PORT, TUNNEL_PORT, type TunnelView } from '../../src/types/network-view.js';
import { createTestNetwork, type TestHost, type TestNetwork } from '../helpers/hosts/index.js';
import { CapturedProcess } from '../helpers/process.js';
import { until } from '../helpers/wait.js';

const FIXTURE = join(import.meta.dirname, 'fixtures/tunnel-node.ts');
const VNI = 4242;
const tunnelIp = (k: number): string => `10.255.0.${k}`;
const overlayIp = (k: number): string => `10.9.0.${k}`;

let net: TestNetwork;
let h1: TestHost, h2: TestHost, h3: TestHost;
const keys: string[] = [];
let hold: CapturedProcess;

const ifname = (h: TestHost): string => `bt${net.id}-${h.name}`;
const dataDir = (h: TestHost): string => join(h.dir, 'agent');

async function must(h: TestHost, cmd: string, args: string[]): Promise<string> {
  const r = await h.exec(cmd, args, { timeoutMs: 30_000 });
  assert.equal(r.code, 0, `${h.name}: ${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function tunnelArgs(h: TestHost, command: string, view?: TunnelView | null): string[] {
  return ['--import', 'tsx', FIXTURE, dataDir(h), ifname(h), command, ...(view === undefined ? [] : [JSON.stringify(view)])];
}

async function tunnel(h: TestHost, command: string, view?: TunnelView | null): Promise<{ changes: string[]; kind?: string }> {
  return JSON.parse(await must(h, process.execPath, tunnelArgs(h, command, view)));
}

/** The view the manager would send host K (1 or 2): the other one as its peer. */
function view(k: 1 | 2): TunnelView {
  const other = k === 1 ? 2 : 1;
  return { address: tunnelIp(k), peers: [{ node: net.hosts[other - 1]!.ip, address: tunnelIp(other), publicKey: keys[other - 1]! }] };
}

/** What apply may change, minus what traffic changes (handshake time, byte counts). */
async function snapshot(h: TestHost): Promise<unknown> {
  const dump = (await must(h, 'wg', ['show', ifname(h), 'dump'])).trim().split('\n').map((l) => l.split('\t').filter((_, i) => i < 4 || i > 6));
  const link = JSON.parse(await must(h, 'ip', ['-j', 'link', 'show', 'dev', ifname(h)]))[0];
  const addr = JSON.parse(await must(h, 'ip', ['-j', 'addr', 'show', 'dev', ifname(h)]))[0].addr_info;
  return { dump, ifindex: link.ifindex, mtu: link.mtu, flags: link.flags, addr, nft: await must(h, 'nft', ['list', 'table', 'inet', 'berth-tunnel']), pid: await daemonPid(h) };
}

/** The host's wireguard-go, found by name and by network namespace, as the system shows it. */
async function daemonPid(h: TestHost): Promise<string> {
  const ps = await must(h, 'sh', ['-c', `for p in $(pgrep -x wireguard-go); do [ "$(readlink /proc/$p/ns/net)" = "$(readlink /proc/self/ns/net)" ] && echo $p; done; true`]);
  return ps.trim();
}

async function ping(from: TestHost, to: string, args: string[]): Promise<{ code: number; out: string }> {
  // busybox's: the machine has no other ping.
  const r = await from.exec('busybox', ['ping', ...args, to], { timeoutMs: 30_000 });
  return { code: r.code, out: r.stdout + r.stderr };
}

/** Cleartext from h3: VXLAN into the encrypted network's VNI, to h2's tunnel and underlay addresses, and plain UDP from a tunnel address. */
const INJECT = `
import dgram from 'node:dgram';
const [mac, tunnelIp, underlayIp, overlayIp, vni, vxPort] = process.argv.slice(1);
const sum = (b) => { let s = 0; for (let i = 0; i < b.length; i += 2) s += (b[i] << 8) | (b[i + 1] ?? 0); while (s >> 16) s = (s & 0xffff) + (s >> 16); return ~s & 0xffff; };
const frame = (text) => {
  const data = Buffer.from(text);
  const udp = Buffer.alloc(8); udp.writeUInt16BE(40000, 0); udp.writeUInt16BE(9999, 2); udp.writeUInt16BE(8 + data.length, 4);
  const ip = Buffer.alloc(20); ip[0] = 0x45; ip.writeUInt16BE(28 + data.length, 2); ip[8] = 64; ip[9] = 17;
  Buffer.from([10, 9, 0, 3]).copy(ip, 12); Buffer.from(overlayIp.split('.').map(Number)).copy(ip, 16); ip.writeUInt16BE(sum(ip), 10);
  const vx = Buffer.alloc(8); vx[0] = 0x08; vx.writeUIntBE(Number(vni), 4, 3);
  return Buffer.concat([vx, Buffer.from(mac.split(':').map((h) => parseInt(h, 16))), Buffer.from([2, 0, 0, 0, 0, 3, 8, 0]), ip, udp, data]);
};
const s = dgram.createSocket('udp4');
const spoofed = dgram.createSocket('udp4');
spoofed.bind(0, '10.255.0.9', () => {
  for (let i = 0; i < 3; i++) {
    s.send(frame('vxlan-to-tunnel-address'), Number(vxPort), tunnelIp);
    s.send(frame('vxlan-to-underlay-address'), Number(vxPort), underlayIp);
    spoofed.send('spoofed-tunnel-source', 9999, underlayIp);
  }
  setTimeout(() => { s.close(); spoofed.close(); }, 100);
});
`;

describe('node tunnel (WireGuard) on real hosts', () => {
  before(async () => {
    net = await createTestNetwork({ name: 'tunnel', hosts: 3 });
    [h1, h2, h3] = net.hosts as [TestHost, TestHost, TestHost];
    for (const h of [h1, h2]) mkdirSync(dataDir(h), { recursive: true });
  });

  after(async () => {
    await hold?.stop('SIGKILL');
    if (net) {
      // Stopped gracefully: the tear-down's SIGKILL would leave their control sockets behind.
      await Promise.all([h1, h2].map((h) => h.exec(process.execPath, tunnelArgs(h, 'remove'))));
      await net.destroy();
      for (const h of [h1, h2]) rmSync(`/var/run/wireguard/${ifname(h)}.sock`, { force: true });
    }
  });

  test('each node makes its key pair once and keeps the private key to itself', async () => {
    for (const h of [h1, h2]) {
      const key = (await must(h, process.execPath, tunnelArgs(h, 'key'))).trim();
      assert.equal((await must(h, process.execPath, tunnelArgs(h, 'key'))).trim(), key, 'same key on the next start');
      assert.equal(Buffer.from(key, 'base64').length, 32);
      const file = join(dataDir(h), 'tunnel.key');
      assert.equal(statSync(file).mode & 0o777, 0o600);
      // wg's own derivation agrees: the key is a WireGuard key, not merely 32 bytes.
      const r = await h.exec('sh', ['-c', `wg pubkey < ${file}`]);
      assert.equal(r.stdout.trim(), key);
      keys.push(key);
    }
    assert.notEqual(keys[0], keys[1]);
  });

  test('a bad view is refused before anything is run', async () => {
    const bad = { ...view(1), peers: [{ node: `${h2.ip} ; reboot`, address: tunnelIp(2), publicKey: keys[1]! }] };
    const r = await h1.exec(process.execPath, tunnelArgs(h1, 'apply', bad));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /peers\[0\]\.node .* is not an IP address/);
    assert.equal((await h1.exec('ip', ['link', 'show', 'dev', ifname(h1)])).code, 1, 'no interface made');
  });

  test('the overlay crosses the tunnel at full MTU, and the wire shows only WireGuard', async () => {
    hold = h1.spawn(process.execPath, tunnelArgs(h1, 'hold', view(1)));
    const applied = JSON.parse((await hold.waitFor(/^\{.*\}$/m, 30_000))[0]);
    const second = await tunnel(h2, 'apply', view(2));
    for (const r of [applied, second]) {
      assert.ok(r.changes.some((c: string) => /^created /.test(c)), JSON.stringify(r));
      // This machine's kernel has no WireGuard; where one has, the kernel's is used.
      assert.ok(['kernel', 'wireguard-go'].includes(r.kind));
    }
    for (const [h, k, other] of [[h1, 1, 2], [h2, 2, 1]] as const) {
      await must(h, 'ip', ['link', 'add', 'vxt', 'type', 'vxlan', 'id', String(VNI), 'dstport', String(ENCRYPTED_VXLAN_PORT), 'local', tunnelIp(k), 'nolearning']);
      await must(h, 'ip', ['link', 'set', 'dev', 'vxt', 'mtu', String(ENCRYPTED_OVERLAY_MTU), 'up']);
      await must(h, 'ip', ['addr', 'add', `${overlayIp(k)}/24`, 'dev', 'vxt']);
      await must(h, 'bridge', ['fdb', 'append', '00:00:00:00:00:00', 'dev', 'vxt', 'dst', tunnelIp(other)]);
    }

    const capture = spawn('tcpdump', ['-i', net.bridge, '-nn', '-l', '-v', `ip and host ${h1.ip} and host ${h2.ip}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let wire = '';
    capture.stdout.on('data', (d: Buffer) => (wire += d.toString()));
    await new Promise<void>((resolve) => capture.stderr.on('data', (d: Buffer) => /listening on/.test(d.toString()) && resolve()));

    const first = await ping(h1, overlayIp(2), ['-c', '5', '-i', '0.2', '-W', '3']);
    assert.equal(first.code, 0, first.out);
    // The largest packet an encrypted overlay carries (the wire below shows it was not fragmented).
    const full = await ping(h1, overlayIp(2), ['-c', '3', '-i', '0.2', '-W', '2', '-s', String(ENCRYPTED_OVERLAY_MTU - 28)]);
    assert.equal(full.code, 0, full.out);
    console.log(`ping over the tunnel: ${/round-trip (.*)/.exec(first.out)?.[1]}; full size: ${/round-trip (.*)/.exec(full.out)?.[1]}`);

    // A TCP copy across, for the throughput the tunnel gives on this machine.
    const server = h2.spawn(process.execPath, ['-e', `
      const t0 = { v: 0 }; let n = 0;
      require('node:net').createServer((c) => { t0.v = Date.now(); c.on('data', (d) => (n += d.length)); c.on('end', () => { console.log('received', n, Date.now() - t0.v); process.exit(0); }); })
        .listen(9000, '${overlayIp(2)}', () => console.log('listening'));`]);
    await server.waitFor(/listening/);
    await must(h1, process.execPath, ['-e', `
      const c = require('node:net').connect(9000, '${overlayIp(2)}'); const chunk = Buffer.alloc(1 << 20); let left = 64;
      const more = () => { while (left > 0) { left--; if (!c.write(chunk)) return c.once('drain', more); } c.end(); };
      c.on('connect', more);`]);
    const [, bytes, ms] = (await server.waitFor(/received (\d+) (\d+)/)).map(Number);
    assert.equal(bytes, 64 << 20);
    console.log(`TCP over the tunnel: ${bytes! >> 20} MiB in ${ms} ms = ${((bytes! * 8) / ms! / 1000).toFixed(0)} Mbit/s`);

    capture.kill('SIGINT');
    await new Promise((r) => capture.once('close', r));
    const packets = wire.split('\n').filter((l) => /^\S/.test(l) && / IP /.test(l));
    const pairs = wire.match(/\d+\.\d+\.\d+\.\d+\.\d+ > \d+\.\d+\.\d+\.\d+\.\d+:.*/g) ?? [];
    assert.ok(pairs.length > 100, `captured ${pairs.length} packets:\n${wire.slice(0, 2000)}`);
    const port = `\\.${TUNNEL_PORT}`;
    const other = pairs.filter((l) => !new RegExp(`^[\\d.]+${port} > [\\d.]+${port}: UDP`).test(l));
    assert.deepEqual(other, [], 'only WireGuard (UDP 51820 to 51820) between the hosts');
    assert.doesNotMatch(wire, /\.(4789|4790)\b/);
    assert.ok(packets.every((l) => !/offset [1-9]|flags \[\+\]/.test(l)), 'no fragments');
    // Full-size overlay packets (ping's largest, the TCP copy's segments) fill the underlay's 1500 bytes exactly.
    assert.equal(Math.max(...packets.map((l) => Number(/length (\d+)\)/.exec(l)?.[1]))), 1500);
  });

  test('cleartext from another host never reaches the encrypted network, and gets in without the guard', async () => {
    await must(h3, 'ip', ['route', 'add', '10.255.0.0/16', 'via', h2.ip]);
    await must(h3, 'ip', ['addr', 'add', '10.255.0.9/32', 'dev', 'lo']);
    const mac = JSON.parse(await must(h2, 'ip', ['-j', 'link', 'show', 'dev', 'vxt']))[0].address as string;
    const listener = h2.spawn(process.execPath, ['-e', `
      const s = require('node:dgram').createSocket('udp4');
      s.on('message', (m) => console.log('got', m.toString()));
      s.bind(9999, () => console.log('listening'));`]);
    await listener.waitFor(/listening/);
    const inject = (): Promise<string> => must(h3, process.execPath, ['--input-type=module', '-e', INJECT, mac, tunnelIp(2), h2.ip, overlayIp(2), String(VNI), String(ENCRYPTED_VXLAN_PORT)]);
    const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 500));

    await inject();
    await settle();
    assert.doesNotMatch(listener.output, /got/, 'guarded');

    // The same packets without the guard: each kind gets in (so the test can see a failure).
    await must(h2, 'nft', ['delete', 'table', 'inet', 'berth-tunnel']);
    await inject();
    await until(() => ['vxlan-to-tunnel-address', 'vxlan-to-underlay-address', 'spoofed-tunnel-source'].every((t) => listener.output.includes(`got ${t}`)), 3000, `all three through: ${listener.output}`);

    // The next apply puts the guard back (level-triggered), and they are dropped again.
    assert.deepEqual((await tunnel(h2, 'apply', view(2))).changes, ['nft table inet berth-tunnel']);
    listener.output = '';
    await inject();
    await settle();
    assert.doesNotMatch(listener.output, /got/);
    await listener.stop();
  });

  test('a second apply changes nothing; a peer that leaves is removed', async () => {
    const before1 = await snapshot(h1);
    const before2 = await snapshot(h2);
    assert.deepEqual((await tunnel(h1, 'apply', view(1))).changes, []);
    assert.deepEqual((await tunnel(h2, 'apply', view(2))).changes, []);
    assert.deepEqual(await snapshot(h1), before1);
    assert.deepEqual(await snapshot(h2), before2);

    const alone = await tunnel(h1, 'apply', { address: tunnelIp(1), peers: [] });
    assert.deepEqual(alone.changes, [`removed peer ${keys[1]}`]);
    assert.equal((await must(h1, 'wg', ['show', ifname(h1), 'peers'])).trim(), '');
    assert.notEqual((await ping(h1, overlayIp(2), ['-c', '1', '-W', '1'])).code, 0);
    await tunnel(h1, 'apply', view(1));
    const back = await ping(h1, overlayIp(2), ['-c', '1', '-W', '3']);
    assert.equal(back.code, 0, back.out);
  });

  test('the tunnel outlives the process that built it; the next one adopts it without a blip', async () => {
    const pid = await daemonPid(h1);
    assert.match(pid, /^\d+$/);
    const flow = ping(h1, overlayIp(2), ['-c', '40', '-i', '0.05', '-W', '1']);
    await new Promise((r) => setTimeout(r, 300));
    await hold.stop('SIGKILL');
    assert.deepEqual((await tunnel(h1, 'apply', view(1))).changes, []);
    const r = await flow;
    assert.match(r.out, / 0% packet loss/, r.out);
    assert.equal(await daemonPid(h1), pid, 'the same wireguard-go');
  });

  test('removal leaves no interface, daemon, control socket or nft table', async () => {
    for (const h of [h1, h2]) {
      const { changes } = await tunnel(h, 'remove');
      assert.ok(changes.includes('removed nft table inet berth-tunnel'), JSON.stringify(changes));
      assert.equal((await h.exec('ip', ['link', 'show', 'dev', ifname(h)])).code, 1);
      assert.equal(await daemonPid(h), '');
      assert.equal(existsSync(`/var/run/wireguard/${ifname(h)}.sock`), false);
      assert.notEqual((await h.exec('nft', ['list', 'table', 'inet', 'berth-tunnel'])).code, 0);
      assert.deepEqual((await tunnel(h, 'remove')).changes, [], 'removing twice is a no-op');
      assert.ok(existsSync(join(dataDir(h), 'tunnel.key')), 'the key pair stays for the next tunnel');
    }
  });
});
