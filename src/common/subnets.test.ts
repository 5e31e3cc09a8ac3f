import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocateSubnet, contains, defaultGateway, formatCidr, overlaps, parseCidr, parseIPv4 } from './subnets.js';

test('parse IPv4 and CIDR, normalised to the network address as Go does', () => {
  assert.equal(parseIPv4('10.1.2.3'), 10 * 2 ** 24 + 1 * 2 ** 16 + 2 * 256 + 3);
  for (const bad of ['10.1.2', '10.1.2.256', 'a.b.c.d', '10.1.2.3.4', '', '10.01.2.3x']) assert.equal(parseIPv4(bad), undefined, bad);
  assert.equal(formatCidr(parseCidr('10.1.2.3/24')!), '10.1.2.0/24');
  assert.equal(formatCidr(parseCidr('192.168.7.9/16')!), '192.168.0.0/16');
  for (const bad of ['10.1.2.0', '10.1.2.0/33', '10.1.2.0/x', 'fd00::/64']) assert.equal(parseCidr(bad), undefined, bad);
});

test('containment, overlap and the default gateway', () => {
  const net = parseCidr('10.0.4.0/22')!;
  assert.ok(contains(net, parseIPv4('10.0.7.255')!));
  assert.ok(!contains(net, parseIPv4('10.0.8.0')!));
  assert.ok(overlaps(net, parseCidr('10.0.5.0/24')!));
  assert.ok(overlaps(parseCidr('10.0.0.0/8')!, net));
  assert.ok(!overlaps(net, parseCidr('10.0.8.0/24')!));
  assert.equal(defaultGateway('10.0.4.0/22'), '10.0.4.1');
  assert.equal(defaultGateway('10.0.4.0/31'), undefined, 'no room for a gateway');
});

test('allocation: the first free /24 of 10.0.0.0/8, never overlapping one in use or Podman’s default', () => {
  assert.equal(allocateSubnet([]), '10.0.0.0/24');
  assert.equal(allocateSubnet(['10.0.0.0/24', '10.0.1.0/24']), '10.0.2.0/24');
  // A user's larger subnet is skipped whole; a hole before it is used.
  assert.equal(allocateSubnet(['10.0.0.0/24', '10.0.2.0/23']), '10.0.1.0/24');
  assert.equal(allocateSubnet(['10.0.0.0/16']), '10.1.0.0/24');
  // 10.88.0.0/16 is Podman's own bridge network.
  assert.equal(allocateSubnet(['10.0.0.0/9', '10.128.0.0/10', '10.192.0.0/10']), undefined);
  assert.equal(allocateSubnet(['10.0.0.0/10', '10.64.0.0/12', '10.80.0.0/13']), '10.89.0.0/24');
  assert.equal(allocateSubnet(['10.0.0.0/8']), undefined, 'the pool is exhausted');
});
