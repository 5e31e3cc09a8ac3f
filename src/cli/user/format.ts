// Small display helpers shared by the list and inspect commands, matching the docker CLI's output.

import type { EndpointPortConfig } from '../../types/index.js';

/** Docker shows 12 characters of an ID unless --no-trunc. */
export function shortId(id: string, noTrunc = false): string {
  return noTrunc ? id : id.slice(0, 12);
}

export function capitalize(text: string | undefined): string {
  return text ? text.charAt(0).toUpperCase() + text.slice(1) : '';
}

/** humanDuration is go-units HumanDuration: "Less than a second", "5 seconds", "About a minute", ... */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(seconds / 60);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(ms / 3_600_000);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(ms / 3_600_000 / 24 / 365)} years`;
}

/** "Running 5 seconds ago", as `docker service ps` shows CURRENT STATE. */
export function stateSince(state: string, timestamp: string | undefined, nowMs: number): string {
  const at = timestamp ? Date.parse(timestamp) : NaN;
  if (Number.isNaN(at)) return capitalize(state);
  return `${capitalize(state)} ${humanDuration(Math.max(0, nowMs - at)).toLowerCase()} ago`;
}

/** "*:8080->80/tcp"; a port the manager has not assigned yet shows as "80/tcp". */
export function formatPort(p: EndpointPortConfig): string {
  const proto = p.Protocol ?? 'tcp';
  return p.PublishedPort ? `*:${p.PublishedPort}->${p.TargetPort ?? 0}/${proto}` : `${p.TargetPort ?? 0}/${proto}`;
}

/** formatBytes prints a memory size in binary units like docker's --pretty output ("3.84GiB"). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  return `${Number(value.toFixed(2))}${units[i]}`;
}

/** formatDurationNs prints nanoseconds as a Go duration ("5s", "1m30s", "500ms"). */
export function formatDurationNs(ns: number): string {
  if (ns === 0) return '0s';
  if (ns < 1e6) return `${ns / 1e3}µs`;
  if (ns < 1e9) return `${ns / 1e6}ms`;
  let s = ns / 1e9;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s = Number((s - m * 60).toFixed(9));
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${s}s`;
}
