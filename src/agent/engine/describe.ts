// The node description an agent sends when it joins, read from the engine's /info and /version
// the way swarmkit's container executor does (Describe).

import type Dockerode from 'dockerode';
import type { Labels, NodeDescription } from '../../types/index.js';

export interface DescribeOptions {
  /** Overrides the engine's hostname (`berth agent --hostname`). */
  hostname?: string;
}

interface EngineInfo {
  Name?: string;
  OSType?: string;
  Architecture?: string;
  NCPU?: number;
  MemTotal?: number;
  ServerVersion?: string;
  Labels?: string[] | null;
  Plugins?: Record<string, string[] | null | undefined>;
}

export async function describeNode(docker: Dockerode, opts: DescribeOptions = {}): Promise<NodeDescription> {
  const [info, version] = (await Promise.all([docker.info(), docker.version()])) as [EngineInfo, Dockerode.DockerVersion];
  return {
    Hostname: opts.hostname ?? info.Name ?? '',
    // The architecture as the engine reports it (Docker: x86_64), which Swarm shows unchanged;
    // comparisons go through src/common/platform.ts, so amd64 and x86_64 still match.
    Platform: {
      OS: info.OSType ?? version.Os ?? 'linux',
      Architecture: info.Architecture || version.Arch || '',
    },
    Resources: {
      NanoCPUs: (info.NCPU ?? 0) * 1e9,
      MemoryBytes: info.MemTotal ?? 0,
    },
    Engine: {
      EngineVersion: info.ServerVersion || version.Version,
      Labels: engineLabels(info.Labels),
      Plugins: plugins(info.Plugins),
    },
  };
}

/** The engine lists its labels as "k=v" strings. */
function engineLabels(list: string[] | null | undefined): Labels {
  const labels: Labels = {};
  for (const entry of list ?? []) {
    const i = entry.indexOf('=');
    if (i > 0) labels[entry.slice(0, i)] = entry.slice(i + 1);
    else if (entry) labels[entry] = '';
  }
  return labels;
}

function plugins(byType: EngineInfo['Plugins']): { Type: string; Name: string }[] {
  const out: { Type: string; Name: string }[] = [];
  for (const type of ['Volume', 'Network', 'Authorization', 'Log']) {
    for (const name of new Set(byType?.[type] ?? [])) out.push({ Type: type, Name: name });
  }
  return out.sort((a, b) => a.Type.localeCompare(b.Type) || a.Name.localeCompare(b.Name));
}
