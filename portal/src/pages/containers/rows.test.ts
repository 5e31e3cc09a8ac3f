import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commandLine, matches, rowOf } from './rows';

const summary = {
  Id: 'c0ffee1234567890',
  Names: ['/worker-1/web.2.k3x9'],
  Image: 'nginx:1.27@sha256:' + 'a'.repeat(64),
  Command: 'nginx',
  Created: 1700000000,
  State: 'running',
  Status: 'Up 3 minutes',
  Labels: { 'com.docker.swarm.node.id': 'n1', 'com.docker.swarm.service.id': 's1', 'com.docker.swarm.service.name': 'web', 'com.docker.swarm.task.id': 'k3x9' },
};

test('rowOf reads the node from the manager\'s name and the rest from the labels', () => {
  const row = rowOf(summary);
  assert.deepEqual(
    { fullName: row.fullName, node: row.node, nodeId: row.nodeId, service: row.service, serviceId: row.serviceId, taskId: row.taskId, image: row.image },
    { fullName: 'worker-1/web.2.k3x9', node: 'worker-1', nodeId: 'n1', service: 'web', serviceId: 's1', taskId: 'k3x9', image: 'nginx:1.27' },
  );
  // A name without a node (not through a manager) and no labels: nothing invented.
  const bare = rowOf({ ...summary, Names: ['/plain'], Labels: undefined });
  assert.deepEqual([bare.fullName, bare.node, bare.serviceId], ['plain', '', '']);
});

test('matches: node and service by ID, state exactly, search over name, image and ID prefix', () => {
  const row = rowOf(summary);
  assert.ok(matches(row, {}));
  assert.ok(matches(row, { node: 'n1', service: 's1', state: 'running', q: ' WEB.2 ' }));
  assert.ok(matches(row, { q: 'nginx' }));
  assert.ok(matches(row, { q: 'c0ffee' }));
  assert.ok(!matches(row, { q: 'ffee' }), 'an ID matches by prefix only');
  assert.ok(!matches(row, { node: 'n2' }));
  assert.ok(!matches(row, { service: 's2' }));
  assert.ok(!matches(row, { state: 'exited' }));
});

test('commandLine quotes what a shell would split or expand, and only that', () => {
  assert.equal(commandLine(['sh', '-c', 'echo hi; sleep 1']), "sh -c 'echo hi; sleep 1'");
  assert.equal(commandLine(['nginx', '-g', "daemon off;"]), "nginx -g 'daemon off;'");
  assert.equal(commandLine(['echo', "it's"]), "echo 'it'\\''s'");
  assert.equal(commandLine(['/bin/app', '--port=80', 'a,b']), '/bin/app --port=80 a,b');
});
