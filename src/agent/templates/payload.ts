// The files a task's secret and config references become, and their content: the object's data,
// or, for an object with `Templating: {Name: "golang"}`, that data rendered for this task as
// swarmkit's template package does (agent-side, per task): the Service, Node and Task fields,
// and env, secret and config functions limited to what the task itself may see.

import { containerPath } from '../../common/file-targets.js';
import type { Config, NodeDescription, Secret, Task } from '../../types/index.js';
import type { Dependencies } from '../tasks/dependencies.js';
import { TaskError } from '../engine/engine-errors.js';
import { TemplateError, TemplateStruct, renderTemplate, type TemplateFunctions } from './go-template.js';

/** One file to provide in a task's container. */
export interface TaskFile {
  kind: 'secret' | 'config';
  /** The object's ID and name, as the reference gives them. */
  id: string;
  name: string;
  /** The reference's File.Name, which templates' secret and config functions look up. */
  target: string;
  /** Where the file appears in the container. */
  path: string;
  uid: number;
  gid: number;
  mode: number;
  /** A file name on the host, unique within the task. */
  hostName: string;
}

export interface NodeInfo {
  id: string;
  description: NodeDescription;
}

/** The default mode when a reference gives none (the docker CLI's 0444). */
const DEFAULT_MODE = 0o444;

/** taskFiles lists the files of a task's references, in order: secrets, then configs. */
export function taskFiles(task: Task): TaskFile[] {
  const c = task.Spec.ContainerSpec;
  const file = (kind: TaskFile['kind'], i: number, id: string, name: string, f: { Name?: string; UID?: string; GID?: string; Mode?: number } | undefined): TaskFile => {
    const target = f?.Name || name;
    return {
      kind,
      id,
      name,
      target,
      path: containerPath(kind, target),
      uid: Number(f?.UID || 0),
      gid: Number(f?.GID || 0),
      mode: f?.Mode ?? DEFAULT_MODE,
      hostName: `${kind}-${i}`,
    };
  };
  return [
    ...(c?.Secrets ?? []).map((r, i) => file('secret', i, r.SecretID ?? '', r.SecretName ?? '', r.File)),
    ...(c?.Configs ?? []).filter((r) => r.Runtime === undefined).map((r, i) => file('config', i, r.ConfigID ?? '', r.ConfigName ?? '', r.File)),
  ];
}

/**
 * fileContent gives the bytes of one file. A missing object or a template error is a TaskError
 * (the task is rejected) naming the object and, for a template, the line and the reason.
 */
export function fileContent(f: TaskFile, task: Task, node: NodeInfo, deps: Dependencies): Buffer {
  const obj = lookup(f.kind, f.id, f.name, deps);
  const data = Buffer.from(obj.Spec.Data ?? '', 'base64');
  const templating = obj.Spec.Templating;
  if (!templating) return data;
  if (templating.Name !== 'golang') {
    throw new TaskError(`${f.kind} ${f.name}: unrecognized template driver "${templating.Name}": only golang templates are rendered`);
  }
  try {
    return Buffer.from(renderTemplate(data.toString('utf8'), templateData(task, node), templateFunctions(task, deps)), 'utf8');
  } catch (err) {
    if (err instanceof TemplateError) throw new TaskError(`failed to expand templated ${f.kind} ${f.name}: template ${err.message}`);
    throw err;
  }
}

function lookup(kind: TaskFile['kind'], id: string, name: string, deps: Dependencies): Secret | Config {
  const obj = kind === 'secret' ? deps.secret(id) : deps.config(id);
  if (!obj) {
    throw new TaskError(
      `${kind} ${name} (${id}) is not available on this node: the manager did not send it, so it was probably removed; update the service to use an existing ${kind}`,
    );
  }
  return obj;
}

/** The template data: swarmkit's template.Context, field for field. */
export function templateData(task: Task, node: NodeInfo): TemplateStruct {
  const slot = task.Slot ? String(task.Slot) : (task.NodeID ?? node.id);
  return new TemplateStruct([
    ['Service', new TemplateStruct([['ID', task.ServiceID], ['Name', task.BerthService.Name], ['Labels', new Map(Object.entries(task.BerthService.Labels ?? {}))]])],
    [
      'Node',
      new TemplateStruct([
        ['ID', node.id],
        ['Hostname', node.description.Hostname ?? ''],
        ['Platform', new TemplateStruct([['Architecture', node.description.Platform?.Architecture ?? ''], ['OS', node.description.Platform?.OS ?? '']])],
      ]),
    ],
    ['Task', new TemplateStruct([['ID', task.ID], ['Name', `${task.BerthService.Name}.${slot}.${task.ID}`], ['Slot', slot]])],
  ]);
}

/** env reads the task's own environment; secret and config read this task's other files by target (raw data, not rendered). */
function templateFunctions(task: Task, deps: Dependencies): TemplateFunctions {
  const c = task.Spec.ContainerSpec;
  const arg = (v: unknown, what: string): string => {
    if (typeof v !== 'string') throw new Error(`${what} must be a string`);
    return v;
  };
  return {
    env: {
      min: 1,
      max: 1,
      call: ([name]) => {
        const key = arg(name, 'the variable name');
        const entry = (c?.Env ?? []).find((e) => e.startsWith(`${key}=`));
        return entry === undefined ? '' : entry.slice(key.length + 1);
      },
    },
    secret: {
      min: 1,
      max: 1,
      call: ([target]) => {
        const t = arg(target, 'the secret target');
        const ref = (c?.Secrets ?? []).find((r) => r.File?.Name === t);
        if (!ref) throw new Error(`secret target ${t} not found`);
        return Buffer.from(lookup('secret', ref.SecretID ?? '', ref.SecretName ?? '', deps).Spec.Data ?? '', 'base64').toString('utf8');
      },
    },
    config: {
      min: 1,
      max: 1,
      call: ([target]) => {
        const t = arg(target, 'the config target');
        const ref = (c?.Configs ?? []).find((r) => r.File?.Name === t);
        if (!ref) throw new Error(`config target ${t} not found`);
        return Buffer.from(lookup('config', ref.ConfigID ?? '', ref.ConfigName ?? '', deps).Spec.Data ?? '', 'base64').toString('utf8');
      },
    },
  };
}
