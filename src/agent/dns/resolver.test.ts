// The overlay resolver over real sockets on loopback: three networks on 127.X.{1,2,3}.0/24 whose
// gateways the resolver listens on (a high port), clients bound to addresses of those subnets
// (node's c-ares Resolver and raw dns-packet queries), and tiny dns-packet servers as the host's
// nameservers, which record what reaches them.

import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { connect, createServer, type Server } from 'node:net';
import dnsPacket from 'dns-packet';
import { silentLogger } from '../../common/log.js';
import type { NodeNetworkView, ServiceEndpointView, TaskEndpointView } from '../../types/network-view.js';
import { OverlayResolver } from './resolver.js';
import type { LocalContainer } from './records.js';

const X = 100 + Math.floor(Math.random() * 150);
const PORT = 20000 + Math.floor(Math.random() * 30000);
const ip = (net: number, host: number): string => `127.${X}.${net}.${host}`;
const gw = (net: number): string => ip(net, 1);

// ---- upstreams: the host's nameservers ----

/** Every query that reached an upstream, in order. */
const seen: { server: string; name: string; tcp: boolean }[] = [];

interface Upstream {
  close(): Promise<void>;
}

function answerFor(query: dnsPacket.DecodedPacket, table: Record<string, string | 'SERVFAIL'>): Buffer {
  const q = query.questions?.[0];
  const hit = q ? table[q.name.toLowerCase()] : undefined;
  const rcode = hit === 'SERVFAIL' ? 2 : hit ? 0 : 3;
  return dnsPacket.encode({
    type: 'response',
    id: query.id ?? 0,
    flags: dnsPacket.RECURSION_AVAILABLE | rcode,
    questions: query.questions ?? [],
    answers: hit && hit !== 'SERVFAIL' && q?.type === 'A' ? [{ type: 'A', name: q.name, ttl: 42, data: hit }] : [],
  });
}

async function upstream(address: string, table: Record<string, string | 'SERVFAIL'>): Promise<Upstream> {
  const udp = createSocket('udp4');
  udp.on('message', (msg, rinfo) => {
    const query = dnsPacket.decode(msg);
    seen.push({ server: address, name: query.questions?.[0]?.name ?? '', tcp: false });
    udp.send(answerFor(query, table), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => udp.bind(PORT, address, resolve));
  const tcp: Server = createServer((socket) => {
    socket.on('data', (chunk: Buffer) => {
      const query = dnsPacket.decode(chunk.subarray(2));
      seen.push({ server: address, name: query.questions?.[0]?.name ?? '', tcp: true });
      const answer = answerFor(query, table);
      const length = Buffer.alloc(2);
      length.writeUInt16BE(answer.length);
      socket.end(Buffer.concat([length, answer]));
    });
  });
  await new Promise<void>((resolve) => tcp.listen(PORT, address, resolve));
  return {
    close: async () => {
      await new Promise<void>((resolve) => udp.close(() => resolve()));
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
    },
  };
}

// ---- the cluster as this node sees it ----

const service = (name: string, vip: string | undefined, backends: string[], aliases: string[] = []): ServiceEndpointView =>
  ({ id: `svc-${name}`, name, aliases, ...(vip ? { vip } : {}), ports: [], backends });
const task = (name: string, address: string): TaskEndpointView => ({ id: name.split('.')[2] ?? name, serviceId: `svc-${name.split('.')[0]}`, name, ip: address, nodeId: 'n1' });

function network(n: number, name: string, services: ServiceEndpointView[], tasks: TaskEndpointView[], internal = false): NodeNetworkView {
  return {
    id: `net-${name}`, name, vni: 4096 + n, subnet: `${ip(n, 0)}/24`, gateway: gw(n), mtu: 1450,
    internal, ingress: false, attachable: true, encrypted: false, localAddress: ip(n, 2), peers: [], services, tasks, containers: [],
  };
}

const big = Array.from({ length: 70 }, (_, i) => ip(1, 30 + i));
const front = network(1, 'front', [
  service('web', ip(1, 100), [ip(1, 11), ip(1, 12)], ['www']),
  service('rr', undefined, [ip(1, 21), ip(1, 22), ip(1, 23)], ['rr-alias']),
  service('big', undefined, big),
  service('shared', ip(1, 101), [ip(1, 13)]),
], [task('web.1.taskaaa', ip(1, 11)), task('web.2.taskbbb', ip(1, 12))]);
// A plain container on another node, reported there and named in the view.
front.containers.push({ name: 'probe', ip: ip(1, 230), nodeId: 'n2' });
const back = network(2, 'back', [
  service('db', ip(2, 100), [ip(2, 11)]),
  service('shared', ip(2, 101), [ip(2, 13)]),
], [task('db.1.taskccc', ip(2, 11))]);
const vault = network(3, 'vault', [service('secret', ip(3, 100), [ip(3, 20)])], [], true);
const ingress = { ...network(5, 'ingress', [service('shared', ip(5, 101), [ip(5, 13)])], []), ingress: true };

const local: LocalContainer[] = [
  [{ networkId: 'net-front', ip: ip(1, 11) }, { networkId: 'net-back', ip: ip(2, 12) }],
  [{ networkId: 'net-back', ip: ip(2, 14) }, { networkId: 'net-front', ip: ip(1, 14) }],
  [{ networkId: 'net-vault', ip: ip(3, 11) }],
  [{ networkId: 'net-vault', ip: ip(3, 12) }, { networkId: 'net-front', ip: ip(1, 15) }],
  [{ networkId: 'net-ingress', ip: ip(5, 16) }, { networkId: 'net-front', ip: ip(1, 16) }],
];

let resolver: OverlayResolver;
let up1: Upstream;
let up2: Upstream;

before(async () => {
  up1 = await upstream(ip(9, 1), { 'example.com': '192.0.2.10', 'flaky.example': 'SERVFAIL', 'down.example': 'SERVFAIL' });
  up2 = await upstream(ip(9, 3), { 'example.com': '192.0.2.99', 'flaky.example': '192.0.2.20', 'down.example': 'SERVFAIL' });
  resolver = new OverlayResolver({
    log: silentLogger(),
    port: PORT,
    // The first one refuses (nothing listens): the resolver moves on to the next.
    upstreams: [{ address: ip(9, 2), port: PORT }, { address: ip(9, 1), port: PORT }, { address: ip(9, 3), port: PORT }],
    forwardTimeoutMs: 1000,
    retryMs: 100,
  });
  await resolver.update([front, back, vault, ingress], local);
});

after(async () => {
  await resolver.close();
  await up1.close();
  await up2.close();
});

// ---- clients ----

function client(from: string, net: number): Resolver {
  const r = new Resolver({ timeout: 1500, tries: 1 });
  r.setLocalAddress(from);
  r.setServers([`${gw(net)}:${PORT}`]);
  return r;
}

const query = (name: string, type: dnsPacket.RecordType, id = 4242): Buffer =>
  dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name }] });

async function udp(from: string, net: number, msg: Buffer, waitMs = 1500): Promise<dnsPacket.DecodedPacket | undefined> {
  const socket = createSocket('udp4');
  try {
    await new Promise<void>((resolve) => socket.bind(0, from, resolve));
    return await new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), waitMs);
      socket.on('message', (answer) => {
        clearTimeout(timer);
        resolve(dnsPacket.decode(answer));
      });
      socket.send(msg, PORT, gw(net));
    });
  } finally {
    socket.close();
  }
}

/** Sends `msgs` length-prefixed in one write; resolves with the answers received before the server closes or `count` arrive. */
function tcp(from: string, net: number, msgs: Buffer[], count = msgs.length): Promise<{ answers: dnsPacket.DecodedPacket[]; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect({ host: gw(net), port: PORT, localAddress: from });
    const answers: dnsPacket.DecodedPacket[] = [];
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ answers, closed: false });
    }, 3000);
    socket.on('connect', () => socket.write(Buffer.concat(msgs.flatMap((m) => [Buffer.from([m.length >> 8, m.length & 0xff]), m]))));
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        answers.push(dnsPacket.decode(buf.subarray(2, 2 + buf.readUInt16BE(0))));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
      }
      if (answers.length === count) {
        clearTimeout(timer);
        socket.destroy();
        resolve({ answers, closed: false });
      }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ answers, closed: true });
    });
    // A reset is the server closing too.
    socket.on('error', () => undefined);
  });
}

const addresses = (p: dnsPacket.DecodedPacket | undefined): string[] =>
  (p?.answers ?? []).flatMap((a) => (a.type === 'A' ? [a.data] : [])).sort();
const rcode = (p: dnsPacket.DecodedPacket | undefined): number => (p?.flags ?? -1) & 0xf;
const forwarded = (): string[] => seen.map((s) => s.name);

// ---- tests ----

test('a task resolves services to their VIP, aliases, tasks.NAME and tasks.ALIAS to running tasks, dnsrr to its tasks, task names to their address', async () => {
  const r = client(ip(1, 11), 1);
  assert.deepEqual(await r.resolve4('web', { ttl: true }), [{ address: ip(1, 100), ttl: 600 }]);
  assert.deepEqual(await r.resolve4('www'), [ip(1, 100)]);
  assert.deepEqual((await r.resolve4('tasks.web', { ttl: true })).sort((a, b) => a.address.localeCompare(b.address)),
    [{ address: ip(1, 11), ttl: 5 }, { address: ip(1, 12), ttl: 5 }]);
  assert.deepEqual((await r.resolve4('tasks.www')).sort(), [ip(1, 11), ip(1, 12)]);
  assert.deepEqual((await r.resolve4('rr')).sort(), [ip(1, 21), ip(1, 22), ip(1, 23)]);
  assert.deepEqual((await r.resolve4('rr-alias')).sort(), [ip(1, 21), ip(1, 22), ip(1, 23)]);
  assert.deepEqual(await r.resolve4('web.2.taskbbb', { ttl: true }), [{ address: ip(1, 12), ttl: 600 }]);
  // Case-insensitive, trailing dot or not.
  assert.deepEqual(await r.resolve4('WEB.'), [ip(1, 100)]);
  assert.deepEqual(await r.resolve4('Tasks.Web.').then((a) => a.sort()), [ip(1, 11), ip(1, 12)]);
  // Its second network's names too, and NAME.NETWORK.
  assert.deepEqual(await r.resolve4('db'), [ip(2, 100)]);
  assert.deepEqual(await r.resolve4('db.back'), [ip(2, 100)]);
  assert.deepEqual(await r.resolve4('tasks.db.back'), [ip(2, 11)]);
  assert.deepEqual(forwarded(), [], 'no name the cluster owns goes to the host nameservers');
});

test('task lists come in random order', async () => {
  const r = client(ip(1, 11), 1);
  const firsts = new Set<string>();
  for (let i = 0; i < 40 && firsts.size < 2; i++) firsts.add((await r.resolve4('tasks.rr'))[0] ?? '');
  assert.equal(firsts.size, 2);
});

test('a name on several networks resolves on the first network the task is attached to, whichever it asks on', async () => {
  assert.deepEqual(await client(ip(1, 11), 1).resolve4('shared'), [ip(1, 101)]);
  // Attached to back first, asking on front.
  assert.deepEqual(await client(ip(1, 14), 1).resolve4('shared'), [ip(2, 101)]);
  // The ingress network comes last, wherever it is attached (Swarm: user networks' VIPs win).
  assert.deepEqual(await client(ip(1, 16), 1).resolve4('shared'), [ip(1, 101)]);
  assert.deepEqual(await client(ip(5, 16), 5).resolve4('shared'), [ip(1, 101)]);
});

test('an unknown source (a plain container) sees the names of the network it asks on only', async () => {
  const r = client(ip(1, 200), 1);
  assert.deepEqual(await r.resolve4('shared'), [ip(1, 101)]);
  assert.deepEqual(await r.resolve4('web'), [ip(1, 100)]);
  const before = forwarded().length;
  await assert.rejects(r.resolve4('db'), { code: 'ENOTFOUND' });
  await assert.rejects(r.resolve4('db.back'), { code: 'ENOTFOUND' });
  // Names of networks it does not see are not ours for it: forwarded, as Docker does.
  assert.deepEqual(forwarded().slice(before), ['db', 'db.back']);
});

test('plain containers on attachable networks answer to their names and PTRs, for tasks and other plain containers', async () => {
  for (const from of [ip(1, 11), ip(1, 201)]) {
    const r = client(from, 1);
    assert.deepEqual(await r.resolve4('probe'), [ip(1, 230)]);
    assert.deepEqual(await r.resolve4('PROBE.front'), [ip(1, 230)]);
    assert.deepEqual(await r.reverse(ip(1, 230)), ['probe.front']);
  }
});

test('other names are forwarded to the host nameservers, over UDP or TCP as asked; the next one is tried when one refuses or fails', async () => {
  const r = client(ip(1, 11), 1);
  const start = seen.length;
  // The first upstream refuses (nothing listens there): the next one answers.
  assert.deepEqual(await r.resolve4('example.com', { ttl: true }), [{ address: '192.0.2.10', ttl: 42 }]);
  assert.deepEqual(seen.slice(start), [{ server: ip(9, 1), name: 'example.com', tcp: false }]);
  // up1 answers SERVFAIL: up2 is asked.
  assert.deepEqual(await r.resolve4('flaky.example'), ['192.0.2.20']);
  assert.deepEqual(seen.slice(-2).map((s) => s.server), [ip(9, 1), ip(9, 3)]);
  await assert.rejects(r.resolve4('down.example'), { code: 'ESERVFAIL' });
  await assert.rejects(r.resolve4('nowhere.example'), { code: 'ENOTFOUND' });

  const viaTcp = await tcp(ip(1, 11), 1, [query('example.com', 'A')]);
  assert.deepEqual(addresses(viaTcp.answers[0]), ['192.0.2.10']);
  assert.deepEqual(seen.at(-1), { server: ip(9, 1), name: 'example.com', tcp: true });
});

test('AAAA and other types of a name we own: NOERROR without answers, not forwarded', async () => {
  const before = forwarded().length;
  for (const type of ['AAAA', 'MX', 'TXT', 'SRV'] as const) {
    const answer = await udp(ip(1, 11), 1, query('web', type));
    assert.equal(rcode(answer), 0, type);
    assert.deepEqual(answer?.answers, [], type);
  }
  const answer = await udp(ip(1, 11), 1, query('tasks.web', 'AAAA'));
  assert.equal(rcode(answer), 0);
  assert.deepEqual(forwarded().slice(before), []);
  // The question comes back byte for byte (0x20 case randomisation), id and RD kept, RA set.
  const mixed = await udp(ip(1, 11), 1, query('wEb', 'A', 777));
  assert.equal(mixed?.id, 777);
  assert.equal(mixed?.questions?.[0]?.name, 'wEb');
  assert.equal(mixed?.flag_rd, true);
  assert.equal(mixed?.flag_ra, true);
  assert.deepEqual(addresses(mixed), [ip(1, 100)]);
});

test('PTR: a task address resolves to <task name>.<network>; an unused address of a visible subnet is NXDOMAIN, not forwarded', async () => {
  const r = client(ip(1, 11), 1);
  assert.deepEqual(await r.reverse(ip(1, 11)), ['web.1.taskaaa.front']);
  assert.deepEqual(await r.reverse(ip(2, 11)), ['db.1.taskccc.back']);
  const before = forwarded().length;
  await assert.rejects(r.reverse(ip(1, 250)), { code: 'ENOTFOUND' });
  assert.deepEqual(forwarded().slice(before), []);
  // A plain container on front does not see back: that address is not ours to answer for it.
  await assert.rejects(client(ip(1, 200), 1).reverse(ip(2, 11)), { code: 'ENOTFOUND' });
  assert.equal(forwarded().at(-1), `11.2.${X}.127.in-addr.arpa`);
});

test('internal networks: a container on internal networks only gets no external names (SERVFAIL, nothing forwarded); one with a way out does', async () => {
  const before = forwarded().length;
  const inside = client(ip(3, 11), 3);
  assert.deepEqual(await inside.resolve4('secret'), [ip(3, 100)]);
  await assert.rejects(inside.resolve4('example.com'), { code: 'ESERVFAIL' });
  await assert.rejects(client(ip(3, 200), 3).resolve4('example.com'), { code: 'ESERVFAIL' });
  assert.deepEqual(forwarded().slice(before), []);
  // Attached to vault and front: asks on vault, gets out.
  assert.deepEqual(await client(ip(3, 12), 3).resolve4('example.com'), ['192.0.2.10']);
  assert.deepEqual(await client(ip(3, 12), 3).resolve4('web'), [ip(1, 100)]);
});

test('long task lists: UDP answers are cut to 512 bytes with TC set, c-ares retries over TCP and gets them all', async () => {
  const viaUdp = await udp(ip(1, 11), 1, query('tasks.big', 'A'));
  assert.equal(viaUdp?.flag_tc, true);
  const cut = addresses(viaUdp);
  assert.ok(cut.length >= 25 && cut.length < 70, `${cut.length} answers in 512 bytes`);
  assert.ok(cut.every((a) => big.includes(a)));
  assert.deepEqual((await client(ip(1, 11), 1).resolve4('tasks.big')).sort(), [...big].sort());
  // With EDNS a client takes more over UDP.
  const edns = dnsPacket.encode({ type: 'query', id: 1, questions: [{ type: 'A', name: 'big' }], additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] });
  const large = await udp(ip(1, 11), 1, edns);
  assert.equal(large?.flag_tc, false);
  assert.equal(addresses(large).length, 70);
});

test('TCP: pipelined queries are answered in order on one connection', async () => {
  const { answers } = await tcp(ip(1, 11), 1, [query('web', 'A', 1), query('tasks.big', 'A', 2), query('example.com', 'A', 3), query('db', 'A', 4)]);
  assert.deepEqual(answers.map((a) => a.id), [1, 2, 3, 4]);
  assert.deepEqual(addresses(answers[0]), [ip(1, 100)]);
  assert.equal(addresses(answers[1]).length, 70);
  assert.deepEqual(addresses(answers[2]), ['192.0.2.10']);
  assert.deepEqual(addresses(answers[3]), [ip(2, 100)]);
});

test('sources outside the network get nothing, over UDP or TCP', async () => {
  const before = forwarded().length;
  // An address outside front's subnet, the subnet's broadcast address.
  assert.equal(await udp(ip(9, 5), 1, query('web', 'A'), 400), undefined);
  assert.equal(await udp(ip(9, 5), 1, query('example.com', 'A'), 400), undefined);
  assert.equal(await udp(ip(1, 255), 1, query('web', 'A'), 400), undefined);
  const outside = await tcp(ip(9, 5), 1, [query('web', 'A')]);
  assert.deepEqual(outside, { answers: [], closed: true });
  assert.deepEqual(forwarded().slice(before), []);
  // The same query from inside is answered (the check above is not a broken server).
  assert.deepEqual(addresses(await udp(ip(1, 200), 1, query('web', 'A'))), [ip(1, 100)]);
});

test('malformed and unsupported messages are dropped unanswered; the server keeps answering', async () => {
  const from = ip(1, 11);
  const two = dnsPacket.encode({ type: 'query', id: 9, questions: [{ type: 'A', name: 'web' }, { type: 'A', name: 'db' }] });
  const response = dnsPacket.encode({ type: 'response', id: 9, questions: [{ type: 'A', name: 'web' }] });
  const withAnswer = dnsPacket.encode({ type: 'query', id: 9, questions: [{ type: 'A', name: 'web' }], answers: [{ type: 'A', name: 'web', data: '1.2.3.4' }] });
  const truncated = query('web', 'A').subarray(0, 15);
  const pointer = Buffer.concat([query('web', 'A').subarray(0, 12), Buffer.from([0xc0, 0x0c, 0, 1, 0, 1])]);
  const notify = Buffer.from(query('web', 'A'));
  notify.writeUInt16BE(4 << 11, 2);
  const huge = Buffer.concat([query('web', 'A'), Buffer.alloc(2000)]);
  huge.writeUInt16BE(1, 10);
  for (const [what, msg] of Object.entries({ garbage: Buffer.from('hello, resolver'), empty: Buffer.alloc(0), two, response, withAnswer, truncated, pointer, notify, huge })) {
    assert.equal(await udp(from, 1, msg, 300), undefined, what);
  }
  // Over TCP the connection is closed.
  assert.deepEqual(await tcp(from, 1, [two]), { answers: [], closed: true });
  // An announced length over the limit closes the connection.
  const bigLength = await new Promise<boolean>((resolve) => {
    const socket = connect({ host: gw(1), port: PORT, localAddress: from }, () => socket.write(Buffer.from([0xff, 0xff, 0, 0])));
    socket.on('close', () => resolve(true));
    setTimeout(() => resolve(false), 2000);
  });
  assert.equal(bigLength, true);
  assert.deepEqual(addresses(await udp(from, 1, query('web', 'A'))), [ip(1, 100)]);
});

test('TCP connections are capped per network and closed when idle', async () => {
  const from = ip(1, 11);
  const open = await Promise.all(Array.from({ length: 32 }, () => new Promise<import('node:net').Socket>((resolve) => {
    const s = connect({ host: gw(1), port: PORT, localAddress: from }, () => resolve(s));
    s.on('error', () => undefined);
  })));
  const extra = await tcp(from, 1, [query('web', 'A')]);
  assert.deepEqual(extra, { answers: [], closed: true }, 'the 33rd connection is refused');
  const started = Date.now();
  await Promise.all(open.map((s) => new Promise((resolve) => (s.destroyed ? resolve(null) : s.on('close', resolve)))));
  const idle = Date.now() - started;
  assert.ok(idle >= 4000 && idle < 8000, `idle connections closed after ${idle} ms`);
  const again = await tcp(from, 1, [query('web', 'A')]);
  assert.deepEqual(addresses(again.answers[0]), [ip(1, 100)]);
});

test('update: names follow the view, networks that leave stop being served, an address that cannot be bound yet is retried', async () => {
  const scaled = network(1, 'front', [service('web', ip(1, 100), [ip(1, 11), ip(1, 12), ip(1, 16)], ['www'])], []);
  await resolver.update([scaled, back], local);
  assert.deepEqual((await client(ip(1, 11), 1).resolve4('tasks.web')).sort(), [ip(1, 11), ip(1, 12), ip(1, 16)]);
  await assert.rejects(client(ip(1, 11), 1).resolve4('rr'), { code: 'ENOTFOUND' });
  await assert.rejects(client(ip(3, 11), 3).resolve4('secret'), { code: 'ECONNREFUSED' });

  // Someone holds the new network's address and port: the resolver retries until it is free.
  const late = network(4, 'late', [service('app', ip(4, 100), [ip(4, 11)])], []);
  const squatter = createSocket('udp4');
  await new Promise<void>((resolve) => squatter.bind(PORT, gw(4), resolve));
  await resolver.update([scaled, back, late], local);
  await assert.rejects(client(ip(4, 20), 4).resolve4('app'), { code: 'ETIMEOUT' });
  await new Promise<void>((resolve) => squatter.close(() => resolve()));
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.deepEqual(await client(ip(4, 20), 4).resolve4('app'), [ip(4, 100)]);

  await resolver.update([front, back, vault], local);
  assert.deepEqual(await client(ip(3, 11), 3).resolve4('secret'), [ip(3, 100)]);
  await assert.rejects(client(ip(4, 20), 4).resolve4('app'), { code: 'ECONNREFUSED' });
});
