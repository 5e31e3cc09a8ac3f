// The --pretty summaries of `node inspect` and `service inspect`: the docker CLI's layout, a label
// column then the value, with nested items indented by one space.

import type { ApiNode, ApiService } from './api-types.js';
import { capitalize, formatBytes, formatDurationNs, formatPort } from './format.js';

type Entry = [label: string, value?: string | number];

function render(entries: readonly Entry[]): string {
  return entries.map(([label, value]) => (value === undefined ? `${label}\n` : `${`${label}:`.padEnd(24)}${value}`.trimEnd() + '\n')).join('');
}

function labels(title: string, map: Record<string, string> | undefined): Entry[] {
  const keys = Object.keys(map ?? {}).sort();
  return keys.length === 0 ? [] : [[`${title}:`], ...keys.map((k): Entry => [` - ${k}=${map![k]}`])];
}

export function prettyNode(n: ApiNode): string {
  const res = n.Description.Resources;
  const entries: Entry[] = [
    ['ID', n.ID],
    ...(n.Spec.Name ? [['Name', n.Spec.Name] as Entry] : []),
    ...labels('Labels', n.Spec.Labels),
    ['Hostname', n.Description.Hostname ?? ''],
    ['Joined at', n.CreatedAt],
    ['Status:'],
    [' State', capitalize(n.Status.State)],
    ...(n.Status.Message ? [[' Message', n.Status.Message] as Entry] : []),
    [' Availability', capitalize(n.Spec.Availability)],
    [' Address', n.Status.Addr ?? ''],
    ...(n.ManagerStatus
      ? ([['Manager Status:'], [' Raft Status', capitalize(n.ManagerStatus.Reachability)], [' Leader', n.ManagerStatus.Leader ? 'Yes' : 'No']] as Entry[])
      : []),
    ['Platform:'],
    [' Operating System', n.Description.Platform?.OS ?? ''],
    [' Architecture', n.Description.Platform?.Architecture ?? ''],
    ['Resources:'],
    [' CPUs', res?.NanoCPUs !== undefined ? res.NanoCPUs / 1e9 : ''],
    [' Memory', res?.MemoryBytes !== undefined ? formatBytes(res.MemoryBytes) : ''],
    ['Engine Version', n.Description.Engine?.EngineVersion ?? ''],
    ...labels('Engine Labels', n.Description.Engine?.Labels),
  ];
  return render(entries);
}

export function prettyService(s: ApiService): string {
  const spec = s.Spec;
  const task = spec.TaskTemplate ?? {};
  const c = task.ContainerSpec ?? {};
  const mode = spec.Mode?.Global ? 'Global' : 'Replicated';
  const limits = task.Resources?.Limits;
  const reservations = task.Resources?.Reservations;
  const restart = task.RestartPolicy;
  const ns = (v: number | undefined): string | undefined => (v === undefined ? undefined : formatDurationNs(v));
  const optional = (label: string, value: string | number | undefined): Entry[] => (value === undefined || value === '' ? [] : [[label, value]]);
  const entries: Entry[] = [
    ['ID', s.ID],
    ['Name', spec.Name ?? ''],
    ...labels('Labels', spec.Labels),
    ['Service Mode', mode],
    ...optional(' Replicas', spec.Mode?.Replicated?.Replicas),
    ...(s.UpdateStatus?.State ? ([['UpdateStatus:'], [' State', s.UpdateStatus.State], ...optional(' Message', s.UpdateStatus.Message)] as Entry[]) : []),
    ['Placement:'],
    ...optional(' Constraints', task.Placement?.Constraints?.join(', ')),
    ...optional(' Preferences', task.Placement?.Preferences?.map((p) => `spread=${p.Spread?.SpreadDescriptor ?? ''}`).join(', ')),
    ...optional(' Max Replicas Per Node', task.Placement?.MaxReplicas),
    ...(restart
      ? ([
          ['RestartPolicy:'],
          ...optional(' Condition', restart.Condition),
          ...optional(' Delay', ns(restart.Delay)),
          ...optional(' Max Attempts', restart.MaxAttempts),
          ...optional(' Window', ns(restart.Window)),
        ] as Entry[])
      : []),
    ...(spec.UpdateConfig
      ? ([
          ['UpdateConfig:'],
          ...optional(' Parallelism', spec.UpdateConfig.Parallelism),
          ...optional(' Delay', ns(spec.UpdateConfig.Delay)),
          ...optional(' On failure', spec.UpdateConfig.FailureAction),
          ...optional(' Monitoring Period', ns(spec.UpdateConfig.Monitor)),
          ...optional(' Max failure ratio', spec.UpdateConfig.MaxFailureRatio),
          ...optional(' Update order', spec.UpdateConfig.Order),
        ] as Entry[])
      : []),
    ['ContainerSpec:'],
    [' Image', c.Image ?? ''],
    ...optional(' Command', c.Command?.join(' ')),
    ...optional(' Args', c.Args?.join(' ')),
    ...(c.Env?.length ? ([[' Env:'], ...c.Env.map((e): Entry => [`  ${e}`])] as Entry[]) : []),
    ...optional(' Dir', c.Dir),
    ...optional(' User', c.User),
    ...optional(' Hostname', c.Hostname),
    ...optional(' Stop Signal', c.StopSignal),
    ...optional(' Stop Grace Period', ns(c.StopGracePeriod)),
    ...(c.Mounts?.length
      ? ([['Mounts:'], ...c.Mounts.map((m): Entry => [` Target = ${m.Target ?? ''}, Source = ${m.Source ?? ''}, Type = ${m.Type ?? ''}, ReadOnly = ${Boolean(m.ReadOnly)}`])] as Entry[])
      : []),
    ['Resources:'],
    ...(limits && (limits.NanoCPUs || limits.MemoryBytes)
      ? ([[' Limits:'], ...optional('  CPU', limits.NanoCPUs ? limits.NanoCPUs / 1e9 : undefined), ...optional('  Memory', limits.MemoryBytes ? formatBytes(limits.MemoryBytes) : undefined)] as Entry[])
      : []),
    ...(reservations && (reservations.NanoCPUs || reservations.MemoryBytes)
      ? ([
          [' Reservations:'],
          ...optional('  CPU', reservations.NanoCPUs ? reservations.NanoCPUs / 1e9 : undefined),
          ...optional('  Memory', reservations.MemoryBytes ? formatBytes(reservations.MemoryBytes) : undefined),
        ] as Entry[])
      : []),
    ['Endpoint Mode', spec.EndpointSpec?.Mode ?? 'vip'],
    ...(spec.EndpointSpec?.Ports?.length
      ? ([['Ports:'], ...spec.EndpointSpec.Ports.map((p): Entry => [` ${formatPort(p)} (${p.PublishMode ?? 'ingress'})`])] as Entry[])
      : []),
  ];
  return render(entries);
}
