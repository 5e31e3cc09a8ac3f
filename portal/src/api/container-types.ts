// The Engine API's container shapes as the manager answers them (docs/containers.md): only the
// fields the containers pages use.

/** GET /containers/json: one task container; its name is /NODE/service.slot.task. */
export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  Command: string;
  Created: number;
  State: string;
  Status: string;
  Labels?: Record<string, string>;
}

/** GET /containers/{id}/json, with classic Swarm's Node. */
export interface ContainerInspect {
  Id: string;
  Name: string;
  Created: string;
  Path: string;
  Args: string[];
  RestartCount?: number;
  State: { Status: string; Running: boolean; ExitCode: number; Error?: string; StartedAt: string; FinishedAt: string; Pid?: number; Health?: { Status: string } };
  Config: { Image: string; Tty: boolean; User?: string; WorkingDir?: string; Hostname?: string; Labels?: Record<string, string> };
  HostConfig?: { Memory?: number; NanoCpus?: number };
  Mounts?: Array<{ Type: string; Source?: string; Destination: string; RW?: boolean }>;
  NetworkSettings?: { Networks?: Record<string, { IPAddress?: string }> };
  Node: { ID: string; Name: string; IP?: string };
}

/** GET /containers/{id}/top */
export interface ContainerTop {
  Titles: string[];
  Processes: string[][];
}

/** GET /containers/{id}/stats?stream=false: the fields the page sums up. */
export interface ContainerStats {
  cpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number };
  memory_stats?: { usage?: number; limit?: number };
  pids_stats?: { current?: number };
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }>;
}

/** GET /exec/{id}/json */
export interface ExecInspect {
  ID: string;
  Running: boolean;
  ExitCode: number | null;
}
