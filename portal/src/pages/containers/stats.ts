// One stats sample summed up as `docker stats` prints it: CPU as a share of one CPU (100% is a
// whole core), memory used of the limit, processes, network bytes in and out.

import type { ContainerStats } from '../../api/container-types';

export interface StatsSummary {
  /** Percent; undefined when the sample has no previous reading to compare with. */
  cpu?: number;
  memory?: number;
  memoryLimit?: number;
  pids?: number;
  rx: number;
  tx: number;
}

export function summarize(s: ContainerStats): StatsSummary {
  const cpuDelta = (s.cpu_stats?.cpu_usage?.total_usage ?? 0) - (s.precpu_stats?.cpu_usage?.total_usage ?? 0);
  const systemDelta = (s.cpu_stats?.system_cpu_usage ?? 0) - (s.precpu_stats?.system_cpu_usage ?? 0);
  const cpus = s.cpu_stats?.online_cpus ?? 1;
  const sampled = s.precpu_stats?.system_cpu_usage !== undefined && systemDelta > 0;
  const nets = Object.values(s.networks ?? {});
  return {
    ...(sampled && { cpu: (Math.max(cpuDelta, 0) / systemDelta) * cpus * 100 }),
    ...(s.memory_stats?.usage !== undefined && { memory: s.memory_stats.usage }),
    ...(s.memory_stats?.limit !== undefined && { memoryLimit: s.memory_stats.limit }),
    ...(s.pids_stats?.current !== undefined && { pids: s.pids_stats.current }),
    rx: nets.reduce((n, x) => n + (x.rx_bytes ?? 0), 0),
    tx: nets.reduce((n, x) => n + (x.tx_bytes ?? 0), 0),
  };
}
