// How the Engine writes service logs to the client (moby api/server/httputils/write_log_stream.go):
// per line "[<timestamp> ][<details> ]<text>", the details being the line's attributes as
// comma-separated, sorted, URL-query-escaped k=v (the docker CLI needs the node, service and task
// IDs among them to print "<service>.<slot>.<task>@<node>"); multiplexed per stream unless the
// service has a TTY, and an error as a last frame on the daemon's own stream.

import { SYSTEMERR, STDERR, STDOUT, frame } from '../../common/stdcopy.js';
import type { LogEvent, LogLineEvent } from '../../types/index.js';

export interface LogFormat {
  timestamps: boolean;
  details: boolean;
  /** Multiplexed frames (no TTY) or raw text (TTY). */
  mux: boolean;
}

/** queryEscape escapes as Go's url.QueryEscape: unreserved characters stay, space becomes +. */
export function queryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/** details gives a line's attributes as the Engine does: the Swarm context of the task. */
export function details(e: LogLineEvent): string {
  const attrs: [string, string][] = [
    ['com.docker.swarm.node.id', e.nodeId],
    ['com.docker.swarm.service.id', e.serviceId],
    ['com.docker.swarm.task.id', e.taskId],
  ];
  return attrs
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${queryEscape(k)}=${queryEscape(v)}`)
    .join(',');
}

/** encodeEvent gives the bytes the client receives for one event. */
export function encodeEvent(e: LogEvent, f: LogFormat): Buffer {
  if (e.kind === 'error') {
    const text = `Error grabbing logs: ${e.message}\n`;
    return f.mux ? frame(SYSTEMERR, text) : Buffer.from(text);
  }
  const line = `${f.timestamps ? `${e.timestamp} ` : ''}${f.details ? `${details(e)} ` : ''}${e.data}`;
  return f.mux ? frame(e.stream === 'stdout' ? STDOUT : STDERR, line) : Buffer.from(line);
}
