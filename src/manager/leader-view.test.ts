import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leaderView } from './leader-view.js';
import type { ManagerAddress } from './leadership.js';

const a: ManagerAddress = { clusterAddr: '10.0.0.1:2377', apiUrl: 'https://10.0.0.1:7420' };
const b: ManagerAddress = { clusterAddr: '10.0.0.2:2377', apiUrl: 'https://10.0.0.2:7420' };
const members = new Map([a, b].map((m) => [m.clusterAddr, m]));

test('a follower points at the leader; the leader points nowhere; with no leader, or itself named while not leading, it points at no one', () => {
  const follower = leaderView({ leading: false, leader: a, members }, () => b);
  assert.deepEqual([follower.api(), follower.cluster(), follower.managers().leader], [a.apiUrl, a.clusterAddr, a.clusterAddr]);
  assert.deepEqual([...follower.managers().reachable].sort(), [a.clusterAddr, b.clusterAddr]);

  const leader = leaderView({ leading: true, leader: b, members }, () => a);
  assert.deepEqual([leader.api(), leader.cluster(), leader.managers().leader], [undefined, undefined, a.clusterAddr], 'it leads, whatever its watch last said');

  const electing = leaderView({ leading: false, leader: undefined, members }, () => b);
  assert.deepEqual([electing.api(), electing.cluster(), electing.managers().leader], [null, null, undefined]);

  const deposed = leaderView({ leading: false, leader: b, members }, () => b);
  assert.deepEqual([deposed.api(), deposed.cluster(), deposed.managers().leader], [null, null, undefined], 'never forwards to itself');
});
