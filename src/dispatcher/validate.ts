// Agents are remote and untrusted input: every frame is checked and rebuilt from known fields,
// so nothing an agent sends can put a malformed object into the store.

import { now } from '../common/time.js';
import { LOG_MAX_BATCH_LINES, LOG_MAX_LINE_BYTES, isTaskState, stateRank } from '../types/index.js';
import type { CallResult, Labels, LogWireLine, LogsMessage, NodeDescription, TaskState, TaskStatus } from '../types/index.js';
import { isObj } from '../common/is-object.js';

type Obj = Record<string, unknown>;
const str = (v: unknown, max = 1024): string | undefined => (typeof v === 'string' ? v.slice(0, max) : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);

/** Only these observed states are the agent's to report (accepted … rejected). */
export function isAgentState(s: TaskState): boolean {
  return stateRank(s) >= stateRank('accepted') && stateRank(s) <= stateRank('rejected');
}

export function labels(v: unknown): Labels {
  const out: Labels = {};
  if (!isObj(v)) return out;
  for (const [k, x] of Object.entries(v).slice(0, 256)) if (typeof x === 'string' && k.length <= 256) out[k] = x.slice(0, 4096);
  return out;
}

/** description rebuilds a node description from an agent's hello, keeping only well-typed fields. */
export function description(v: unknown): NodeDescription {
  const d = isObj(v) ? v : {};
  const platform = isObj(d.Platform) ? d.Platform : {};
  const resources = isObj(d.Resources) ? d.Resources : {};
  const engine = isObj(d.Engine) ? d.Engine : {};
  const plugins = Array.isArray(engine.Plugins) ? engine.Plugins.filter(isObj) : [];
  return {
    Hostname: str(d.Hostname, 253) ?? '',
    Platform: { OS: str(platform.OS, 64) ?? '', Architecture: str(platform.Architecture, 64) ?? '' },
    Resources: { NanoCPUs: num(resources.NanoCPUs) ?? 0, MemoryBytes: num(resources.MemoryBytes) ?? 0 },
    Engine: {
      EngineVersion: str(engine.EngineVersion, 128) ?? '',
      Labels: labels(engine.Labels),
      Plugins: plugins.slice(0, 256).map((p) => ({ Type: str(p.Type, 64) ?? '', Name: str(p.Name, 256) ?? '' })),
    },
  };
}

/** status rebuilds a reported task status; undefined when it is not a valid agent report. */
export function status(v: unknown): TaskStatus | undefined {
  if (!isObj(v) || !isTaskState(v.State) || !isAgentState(v.State)) return undefined;
  const out: TaskStatus = { State: v.State, Message: str(v.Message) ?? '', Timestamp: str(v.Timestamp, 64) || now() };
  const err = str(v.Err, 4096);
  if (err) out.Err = err;
  if (isObj(v.ContainerStatus)) {
    const c = v.ContainerStatus;
    out.ContainerStatus = { ContainerID: str(c.ContainerID, 128), PID: num(c.PID), ExitCode: typeof c.ExitCode === 'number' ? c.ExitCode : undefined };
  }
  if (isObj(v.PortStatus) && Array.isArray(v.PortStatus.Ports)) {
    out.PortStatus = {
      Ports: v.PortStatus.Ports.filter(isObj).slice(0, 1024).map((p) => ({
        Protocol: p.Protocol === 'udp' || p.Protocol === 'sctp' ? p.Protocol : 'tcp',
        TargetPort: num(p.TargetPort),
        PublishedPort: num(p.PublishedPort),
        PublishMode: p.PublishMode === 'ingress' ? 'ingress' : 'host',
      })),
    };
  }
  return out;
}

const FIXED_TS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/;
const count = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** logs checks an agent's logs message; undefined when anything in it is malformed or too large. */
export function logs(v: Obj): LogsMessage | undefined {
  const id = (x: unknown): x is string => typeof x === 'string' && x.length > 0 && x.length <= 64;
  if (!id(v.sub) || !id(v.taskId) || !Array.isArray(v.lines) || v.lines.length > LOG_MAX_BATCH_LINES) return undefined;
  const lines: LogWireLine[] = [];
  let seq = 0;
  for (const l of v.lines as unknown[]) {
    if (!isObj(l) || !count(l.seq) || l.seq <= seq || (l.stream !== 1 && l.stream !== 2)) return undefined;
    if (typeof l.ts !== 'string' || !FIXED_TS.test(l.ts) || typeof l.data !== 'string' || l.data.length > LOG_MAX_LINE_BYTES + 1) return undefined;
    seq = l.seq;
    lines.push({ seq: l.seq, ts: l.ts, stream: l.stream, data: l.data });
  }
  if (v.dropped !== undefined && !count(v.dropped)) return undefined;
  const msg: LogsMessage = { type: 'logs', sub: v.sub, taskId: v.taskId, lines };
  if (count(v.dropped) && v.dropped > 0) msg.dropped = v.dropped;
  if (v.historyDone === true) msg.historyDone = true;
  if (v.end === true) msg.end = true;
  const error = str(v.error, 1024);
  if (error) msg.error = error;
  return msg;
}

export { isObj };

/**
 * containerResult checks an agent's answer to a container call. The body is the engine's JSON,
 * passed to the client as the engine gave it (the frame limit bounds it); the API reads only
 * the fields it needs from it, checking their types.
 */
export function containerResult(v: Obj): { id: string; result: CallResult } | undefined {
  const id = str(v.id, 64);
  if (!id || typeof v.status !== 'number' || !Number.isInteger(v.status) || v.status < 100 || v.status > 599) return undefined;
  const message = str(v.message, 4096);
  return { id, result: { status: v.status, ...(v.body !== undefined && { body: v.body }), ...(message !== undefined && { message }) } };
}
