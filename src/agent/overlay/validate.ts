// The network view comes over the network: every field that reaches `ip` or `nft` arguments is
// checked here first (addresses, MACs, identifiers, numbers), and the networks against each other.
// A bad view is refused whole, naming the field, and nothing is changed.

import { contains, overlaps, parseCidr, parseIPv4, type Cidr } from '../../common/subnets.js';
import { InvalidArgumentError } from '../../types/errors.js';
import type { NodeNetworkView } from '../../types/network-view.js';
import { MAX_VNI } from './names.js';

const ID = /^[A-Za-z0-9_.-]{1,64}$/;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;

function fail(field: string, value: unknown, fix: string): never {
  throw new InvalidArgumentError(`network view: ${field}: ${JSON.stringify(value)}: ${fix}`);
}

export function checkIPv4(field: string, value: unknown): string {
  if (typeof value !== 'string' || parseIPv4(value) === undefined) fail(field, value, 'must be an IPv4 address without prefix');
  return value;
}

function checkIn(field: string, value: unknown, subnet: Cidr): string {
  const ip = checkIPv4(field, value);
  if (!contains(subnet, parseIPv4(ip)!)) fail(field, value, 'must be inside the network\'s subnet');
  return ip;
}

function checkInteger(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) fail(field, value, `must be a whole number from ${min} to ${max}`);
  return value;
}

/** validateViews throws InvalidArgumentError for the first field that could not be applied safely. */
export function validateViews(views: unknown): NodeNetworkView[] {
  if (!Array.isArray(views)) fail('networks', views, 'must be a list');
  const seen: { vni: number; subnet: Cidr; id: string }[] = [];
  const vips = new Set<string>();
  const published = new Set<string>();
  for (const [i, v] of (views as NodeNetworkView[]).entries()) {
    const at = `networks[${i}]`;
    if (typeof v !== 'object' || v === null) fail(at, v, 'must be an object');
    if (typeof v.id !== 'string' || !ID.test(v.id)) fail(`${at}.id`, v.id, 'must be 1 to 64 letters, digits, "_", "." or "-"');
    checkInteger(`${at}.vni`, v.vni, 1, MAX_VNI);
    const subnet = typeof v.subnet === 'string' ? parseCidr(v.subnet) : undefined;
    if (!subnet || subnet.bits < 8 || subnet.bits > 30) fail(`${at}.subnet`, v.subnet, 'must be an IPv4 CIDR from /8 to /30');
    checkIn(`${at}.gateway`, v.gateway, subnet);
    checkIn(`${at}.localAddress`, v.localAddress, subnet);
    checkInteger(`${at}.mtu`, v.mtu, 576, 9000);
    for (const flag of ['internal', 'ingress', 'attachable', 'encrypted'] as const) {
      if (typeof v[flag] !== 'boolean') fail(`${at}.${flag}`, v[flag], 'must be true or false');
    }
    for (const other of seen) {
      if (other.vni === v.vni) fail(`${at}.vni`, v.vni, `network ${other.id} has it too`);
      if (overlaps(other.subnet, subnet)) fail(`${at}.subnet`, v.subnet, `overlaps network ${other.id}'s`);
    }
    seen.push({ vni: v.vni, subnet, id: v.id });
    if (!Array.isArray(v.peers)) fail(`${at}.peers`, v.peers, 'must be a list');
    for (const [j, p] of v.peers.entries()) {
      checkIn(`${at}.peers[${j}].ip`, p?.ip, subnet);
      if (typeof p.mac !== 'string' || !MAC.test(p.mac)) fail(`${at}.peers[${j}].mac`, p.mac, 'must be a MAC address in lower-case hex, e.g. 02:42:0a:00:01:05');
      checkIPv4(`${at}.peers[${j}].node`, p.node);
    }
    if (v.attachableRange !== undefined) {
      const block = typeof v.attachableRange === 'string' ? parseCidr(v.attachableRange) : undefined;
      if (!block || block.bits < subnet.bits || !contains(subnet, block.base)) fail(`${at}.attachableRange`, v.attachableRange, 'must be an IPv4 CIDR inside the network\'s subnet');
    }
    if (!Array.isArray(v.containers)) fail(`${at}.containers`, v.containers, 'must be a list');
    for (const [j, c] of v.containers.entries()) {
      if (typeof c?.name !== 'string' || !CONTAINER_NAME.test(c.name)) fail(`${at}.containers[${j}].name`, c?.name, 'must be a container name (letters, digits, "_", "." or "-")');
      checkIn(`${at}.containers[${j}].ip`, c.ip, subnet);
    }
    if (!Array.isArray(v.services)) fail(`${at}.services`, v.services, 'must be a list');
    for (const [j, s] of v.services.entries()) {
      const sat = `${at}.services[${j}]`;
      if (typeof s?.id !== 'string' || !ID.test(s.id)) fail(`${sat}.id`, s?.id, 'must be 1 to 64 letters, digits, "_", "." or "-"');
      if (s.vip !== undefined) {
        checkIn(`${sat}.vip`, s.vip, subnet);
        if (vips.has(s.vip)) fail(`${sat}.vip`, s.vip, 'another service has it');
        vips.add(s.vip);
      }
      if (!Array.isArray(s.backends)) fail(`${sat}.backends`, s.backends, 'must be a list');
      s.backends.forEach((b, k) => checkIn(`${sat}.backends[${k}]`, b, subnet));
      if (!Array.isArray(s.ports)) fail(`${sat}.ports`, s.ports, 'must be a list');
      for (const [k, p] of s.ports.entries()) {
        if (p?.protocol !== 'tcp' && p?.protocol !== 'udp') fail(`${sat}.ports[${k}].protocol`, p?.protocol, 'must be tcp or udp');
        checkInteger(`${sat}.ports[${k}].published`, p.published, 1, 65535);
        checkInteger(`${sat}.ports[${k}].target`, p.target, 1, 65535);
        const key = `${p.protocol}/${p.published}`;
        if (published.has(key)) fail(`${sat}.ports[${k}].published`, p.published, `another service publishes ${key}`);
        published.add(key);
      }
      if (s.ingressPolicy !== undefined && s.ingressPolicy !== 'local') fail(`${sat}.ingressPolicy`, s.ingressPolicy, 'must be "local" or absent');
    }
  }
  return views as NodeNetworkView[];
}
