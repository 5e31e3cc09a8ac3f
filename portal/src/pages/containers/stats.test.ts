import { test } from 'node:test';
import assert from 'node:assert/strict';
import { summarize } from './stats';

test('CPU as docker stats computes it: the container\'s share of the system\'s time, times the CPUs', () => {
  const s = summarize({
    cpu_stats: { cpu_usage: { total_usage: 3_000 }, system_cpu_usage: 20_000, online_cpus: 2 },
    precpu_stats: { cpu_usage: { total_usage: 1_000 }, system_cpu_usage: 10_000 },
    memory_stats: { usage: 4096, limit: 8192 },
    pids_stats: { current: 3 },
    networks: { eth0: { rx_bytes: 10, tx_bytes: 20 }, eth1: { rx_bytes: 1, tx_bytes: 2 } },
  });
  assert.deepEqual(s, { cpu: 40, memory: 4096, memoryLimit: 8192, pids: 3, rx: 11, tx: 22 });
});

test('a sample without a previous reading has no CPU figure rather than a wrong one', () => {
  const s = summarize({ cpu_stats: { cpu_usage: { total_usage: 3_000 }, system_cpu_usage: 20_000 } });
  assert.equal(s.cpu, undefined);
  assert.deepEqual([s.rx, s.tx], [0, 0]);
});
