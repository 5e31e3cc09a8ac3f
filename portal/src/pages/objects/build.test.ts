import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Whoami } from '../../api/types';
import { decodeData, deployTeams, encodeData, labelsFor, networkBody, parseLabels, teamRequired } from './build';

test('data is the base64 of UTF-8 bytes, and reads back; binary data is not shown as text', () => {
  assert.equal(encodeData('hunter2'), Buffer.from('hunter2').toString('base64'));
  assert.equal(encodeData('mot de passe: é✓'), Buffer.from('mot de passe: é✓').toString('base64'));
  const big = 'x'.repeat(200_000);
  assert.equal(encodeData(big), Buffer.from(big).toString('base64'));
  assert.equal(decodeData(Buffer.from('port=80\nhost=é').toString('base64')), 'port=80\nhost=é');
  assert.equal(decodeData(Buffer.from([0xff, 0xfe, 0x00]).toString('base64')), undefined);
});

test('labels: KEY=VALUE lines; a team adds berth.team; a line without = is refused by name', () => {
  assert.deepEqual(parseLabels('a=1\n\n b=x=y '), { a: '1', b: 'x=y' });
  assert.deepEqual(labelsFor('', 'payments'), { 'berth.team': 'payments' });
  assert.equal(labelsFor('', null), undefined);
  assert.throws(() => parseLabels('nope'), /Labels: "nope" is not KEY=VALUE/);
});

test('a member who deploys only through teams must name one; a cluster operator need not', () => {
  const member: Whoami = { User: 'tom', Auth: 'session', Role: 'viewer', Teams: [{ Team: 'pay', Role: 'operator', Stacks: [] }, { Team: 'ops', Role: 'viewer', Stacks: [] }] };
  assert.deepEqual(deployTeams(member), ['pay']);
  assert.equal(teamRequired(member), true);
  assert.equal(teamRequired({ ...member, Role: 'operator' }), false);
});

test('the network form makes docker network create --driver overlay --subnet --gateway --attachable --internal --opt encrypted', () => {
  const form = { name: ' backend ', driver: '', subnet: '10.30.0.0/24', gateway: '10.30.0.1', attachable: true, internal: true, encrypted: true, labels: 'tier=db', team: 'pay' };
  assert.deepEqual(networkBody(form), {
    Name: 'backend',
    Driver: 'overlay',
    CheckDuplicate: true,
    Attachable: true,
    Internal: true,
    Options: { encrypted: '' },
    IPAM: { Driver: 'default', Config: [{ Subnet: '10.30.0.0/24', Gateway: '10.30.0.1' }] },
    Labels: { tier: 'db', 'berth.team': 'pay' },
  });
  assert.deepEqual(networkBody({ ...form, subnet: '', gateway: '', attachable: false, internal: false, encrypted: false, labels: '', team: null }), { Name: 'backend', Driver: 'overlay', CheckDuplicate: true });
  assert.throws(() => networkBody({ ...form, subnet: '' }), /^Error: Gateway: give the subnet/);
});
