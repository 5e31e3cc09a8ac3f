import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { InvalidArgumentError } from '../../types/errors.js';
import type { TunnelView } from '../../types/network-view.js';
import { isWireGuardKey } from '../../common/wireguard-key.js';
import { tunnelConfig } from './tunnel-view.js';

const own = randomBytes(32).toString('base64');
const peerKey = randomBytes(32).toString('base64');
const view = (patch: Partial<TunnelView['peers'][0]> = {}, address = '10.255.0.1'): TunnelView => ({
  address,
  peers: [{ node: '192.0.2.12', address: '10.255.0.2', publicKey: peerKey, ...patch }],
});

test('a view becomes the interface address and peers as wg prints them', () => {
  assert.deepEqual(tunnelConfig(view(), own), {
    address: '10.255.0.1/16',
    peers: [{ publicKey: peerKey, endpoint: '192.0.2.12:51820', allowedIp: '10.255.0.2/32' }],
  });
  assert.equal(tunnelConfig(view({ node: '2001:DB8:0:0::12' }), own).peers[0]!.endpoint, '[2001:db8::12]:51820');
});

test('WireGuard keys are the canonical base64 of exactly 32 bytes', () => {
  assert.ok(isWireGuardKey(own));
  assert.ok(!isWireGuardKey(randomBytes(31).toString('base64')));
  assert.ok(!isWireGuardKey(randomBytes(33).toString('base64')));
  // Same 32 bytes with stray low bits in the last character: wg would print it otherwise.
  assert.ok(!isWireGuardKey(`${'A'.repeat(42)}B=`));
  assert.ok(!isWireGuardKey(`${own.slice(0, 43)} `));
});

test('every field that would reach a command line is checked, naming it', () => {
  const refused: [TunnelView, RegExp][] = [
    [view({}, '10.254.0.1'), /address "10.254.0.1" is not a host address in 10.255.0.0\/16/],
    [view({}, '10.255.0.0'), /address "10.255.0.0"/],
    [view({}, '10.255.255.255'), /address "10.255.255.255"/],
    [view({ address: '10.255.0.2 dev lo' }), /peers\[0\]\.address/],
    [view({ node: '192.0.2.12:1' }), /peers\[0\]\.node "192.0.2.12:1" is not an IP address/],
    [view({ node: '-h' }), /peers\[0\]\.node/],
    [view({ publicKey: 'private-key /etc/shadow' }), /peers\[0\]\.publicKey is not a WireGuard key/],
    [view({ publicKey: own }), /peers\[0\]\.publicKey is this node's or another peer's/],
    [view({ address: '10.255.0.1' }), /peers\[0\]\.address 10.255.0.1 is this node's/],
    [{ address: '10.255.0.1', peers: 'x' } as unknown as TunnelView, /peers must be a list/],
  ];
  for (const [v, message] of refused) assert.throws(() => tunnelConfig(v, own), (err) => err instanceof InvalidArgumentError && message.test(err.message));
  const twice = view();
  twice.peers.push({ ...twice.peers[0]!, publicKey: randomBytes(32).toString('base64') });
  assert.throws(() => tunnelConfig(twice, own), /peers\[1\]\.address 10.255.0.2 is this node's or another peer's/);
});
