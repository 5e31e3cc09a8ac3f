// Parsers for the structured option values of `service create` and the list commands, in the
// docker CLI's formats. Each throws InvalidArgumentError naming the value and an accepted form.

import { parseConstraint } from '../../common/constraints.js';
import { InvalidArgumentError } from '../../types/index.js';
import type { EndpointPortConfig, Mount, PlacementPreference } from '../../types/index.js';
import type { ApiFilters } from './api-types.js';
import { parseMemoryBytes } from '../../common/units.js';

/** parseKeyValue reads a label "key=value" ("key" alone means an empty value). */
export function parseKeyValue(text: string): [string, string] {
  const eq = text.indexOf('=');
  const key = eq < 0 ? text : text.slice(0, eq);
  if (!key.trim()) throw new InvalidArgumentError(`invalid label "${text}": use key=value, e.g. tier=web`);
  return [key, eq < 0 ? '' : text.slice(eq + 1)];
}

/** parseEnv reads "KEY=value"; a bare "KEY" takes the value from the CLI's own environment, as docker does. */
export function parseEnv(text: string, env: NodeJS.ProcessEnv = process.env): string {
  const eq = text.indexOf('=');
  const key = eq < 0 ? text : text.slice(0, eq);
  if (!key || /\s/.test(key)) throw new InvalidArgumentError(`invalid environment variable "${text}": use KEY=value, e.g. LOG_LEVEL=debug`);
  if (eq >= 0) return text;
  const value = env[key];
  return value === undefined ? key : `${key}=${value}`;
}

export function parseConstraintOption(text: string): string {
  parseConstraint(text);
  return text;
}

/** parsePlacementPref reads "spread=node.labels.zone", the one strategy Swarm has. */
export function parsePlacementPref(text: string): PlacementPreference {
  const eq = text.indexOf('=');
  const strategy = eq < 0 ? text : text.slice(0, eq);
  const descriptor = eq < 0 ? '' : text.slice(eq + 1);
  if (strategy !== 'spread') {
    throw new InvalidArgumentError(`unsupported placement preference "${text}": only spread is supported, e.g. spread=node.labels.zone`);
  }
  if (!descriptor) throw new InvalidArgumentError(`invalid placement preference "${text}": name what to spread over, e.g. spread=node.labels.zone`);
  return { Spread: { SpreadDescriptor: descriptor } };
}

const PROTOCOLS = ['tcp', 'udp', 'sctp'] as const;

/**
 * parsePublish reads "published:target[/proto]", "target[/proto]", port ranges ("8080-8081:80-81")
 * or the long form "mode=host,target=80,published=8080,protocol=udp".
 */
export function parsePublish(text: string): EndpointPortConfig[] {
  return text.includes('=') ? [parseLongPublish(text)] : parseShortPublish(text);
}

function parseLongPublish(text: string): EndpointPortConfig {
  const port: EndpointPortConfig = { Protocol: 'tcp', PublishMode: 'ingress' };
  for (const field of text.split(',')) {
    const [key, value] = splitField(field, text, 'publish');
    switch (key) {
      case 'mode':
        if (value !== 'ingress' && value !== 'host') throw new InvalidArgumentError(`invalid publish mode "${value}" in "${text}": use ingress or host`);
        port.PublishMode = value;
        break;
      case 'target':
        port.TargetPort = portNumber(value, text);
        break;
      case 'published':
        port.PublishedPort = portNumber(value, text);
        break;
      case 'protocol':
        port.Protocol = protocol(value, text);
        break;
      default:
        throw new InvalidArgumentError(`invalid publish field "${key}" in "${text}": use mode, target, published and protocol`);
    }
  }
  if (port.TargetPort === undefined) throw new InvalidArgumentError(`invalid publish "${text}": target is required, e.g. target=80,published=8080`);
  return port;
}

function parseShortPublish(text: string): EndpointPortConfig[] {
  const slash = text.indexOf('/');
  const ports = slash < 0 ? text : text.slice(0, slash);
  const proto = slash < 0 ? 'tcp' : protocol(text.slice(slash + 1), text);
  const parts = ports.split(':');
  if (parts.length > 2) {
    throw new InvalidArgumentError(`invalid publish "${text}": a host IP is not supported; use published:target[/protocol], e.g. 8080:80`);
  }
  const targets = portRange(parts[parts.length - 1]!, text);
  const published = parts.length === 2 ? portRange(parts[0]!, text) : undefined;
  if (published && published.length !== targets.length) {
    throw new InvalidArgumentError(`invalid publish "${text}": the published and target ranges must be the same size`);
  }
  return targets.map((target, i) => ({
    Protocol: proto,
    TargetPort: target,
    ...(published && { PublishedPort: published[i] }),
    PublishMode: 'ingress',
  }));
}

function portRange(text: string, whole: string): number[] {
  const [from, to, ...rest] = text.split('-');
  if (rest.length > 0 || from === undefined) throw new InvalidArgumentError(`invalid port range "${text}" in "${whole}": use e.g. 8080 or 8080-8089`);
  const start = portNumber(from, whole);
  const end = to === undefined ? start : portNumber(to, whole);
  if (end < start) throw new InvalidArgumentError(`invalid port range "${text}" in "${whole}": the end is before the start`);
  return Array.from({ length: end - start + 1 }, (_, i) => start + i);
}

function portNumber(text: string, whole: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= 0 && n <= 65535)) throw new InvalidArgumentError(`invalid port "${text}" in "${whole}": use a number from 0 to 65535`);
  return n;
}

function protocol(text: string, whole: string): (typeof PROTOCOLS)[number] {
  const p = text.toLowerCase();
  if (!(PROTOCOLS as readonly string[]).includes(p)) throw new InvalidArgumentError(`invalid protocol "${text}" in "${whole}": use tcp, udp or sctp`);
  return p as (typeof PROTOCOLS)[number];
}

/** parseMount reads docker's CSV mount form: type=bind|volume|tmpfs,source=..,target=..[,readonly][,...]. */
export function parseMount(text: string): Mount {
  const mount: Mount = { Type: 'volume' };
  const volume: NonNullable<Mount['VolumeOptions']> = {};
  const bind: NonNullable<Mount['BindOptions']> = {};
  const tmpfs: NonNullable<Mount['TmpfsOptions']> = {};
  for (const field of text.split(',')) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).trim().toLowerCase();
    if ((key === 'readonly' || key === 'ro') && eq < 0) {
      mount.ReadOnly = true;
      continue;
    }
    if (key === 'volume-nocopy' && eq < 0) {
      volume.NoCopy = true;
      continue;
    }
    const [, value] = splitField(field, text, 'mount');
    switch (key) {
      case 'type':
        if (value !== 'bind' && value !== 'volume' && value !== 'tmpfs') throw new InvalidArgumentError(`invalid mount type "${value}" in "${text}": use bind, volume or tmpfs`);
        mount.Type = value;
        break;
      case 'source':
      case 'src':
        mount.Source = value;
        break;
      case 'target':
      case 'dst':
      case 'destination':
        mount.Target = value;
        break;
      case 'readonly':
      case 'ro':
        mount.ReadOnly = bool(value, text);
        break;
      case 'consistency':
        mount.Consistency = value;
        break;
      case 'bind-propagation':
        bind.Propagation = value;
        break;
      case 'bind-nonrecursive':
        bind.NonRecursive = bool(value, text);
        break;
      case 'volume-nocopy':
        volume.NoCopy = bool(value, text);
        break;
      case 'volume-label': {
        const [k, v] = parseKeyValue(value);
        volume.Labels = { ...volume.Labels, [k]: v };
        break;
      }
      case 'volume-driver':
        volume.DriverConfig = { ...volume.DriverConfig, Name: value };
        break;
      case 'volume-opt': {
        const [k, v] = parseKeyValue(value);
        volume.DriverConfig = { ...volume.DriverConfig, Options: { ...volume.DriverConfig?.Options, [k]: v } };
        break;
      }
      case 'tmpfs-size':
        tmpfs.SizeBytes = parseMemoryBytes(value);
        break;
      case 'tmpfs-mode':
        if (!/^[0-7]+$/.test(value)) throw new InvalidArgumentError(`invalid tmpfs-mode "${value}" in "${text}": use an octal mode, e.g. 1777`);
        tmpfs.Mode = parseInt(value, 8);
        break;
      default:
        throw new InvalidArgumentError(`invalid mount field "${key}" in "${text}": use type, source, target, readonly and the bind-*, volume-*, tmpfs-* options`);
    }
  }
  return finishMount(text, mount, { volume, bind, tmpfs });
}

function finishMount(text: string, mount: Mount, options: { volume: object; bind: object; tmpfs: object }): Mount {
  if (!mount.Target) throw new InvalidArgumentError(`invalid mount "${text}": target is required, e.g. type=volume,source=data,target=/data`);
  if (mount.Type === 'bind' && !mount.Source) throw new InvalidArgumentError(`invalid mount "${text}": a bind mount needs source=<host path>`);
  if (mount.Type === 'tmpfs' && mount.Source) throw new InvalidArgumentError(`invalid mount "${text}": a tmpfs mount takes no source`);
  const given = (o: object) => Object.keys(o).length > 0;
  for (const [kind, opts] of Object.entries(options)) {
    if (given(opts) && kind !== mount.Type) {
      throw new InvalidArgumentError(`invalid mount "${text}": ${kind}-* options need type=${kind}, not type=${mount.Type}`);
    }
  }
  if (given(options.volume)) mount.VolumeOptions = options.volume;
  if (given(options.bind)) mount.BindOptions = options.bind;
  if (given(options.tmpfs)) mount.TmpfsOptions = options.tmpfs;
  return mount;
}

function splitField(field: string, whole: string, what: string): [string, string] {
  const eq = field.indexOf('=');
  if (eq < 0) throw new InvalidArgumentError(`invalid ${what} field "${field}" in "${whole}": use key=value pairs separated by commas`);
  return [field.slice(0, eq).trim().toLowerCase(), field.slice(eq + 1).trim()];
}

function bool(text: string, whole: string): boolean {
  if (['true', '1'].includes(text.toLowerCase())) return true;
  if (['false', '0'].includes(text.toLowerCase())) return false;
  throw new InvalidArgumentError(`invalid boolean "${text}" in "${whole}": use true or false`);
}

/** splitShellWords splits a command line as a POSIX shell would, for --entrypoint. */
export function splitShellWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (c === '\\' && i + 1 < text.length && (quote === undefined || '"\\$`'.includes(text[i + 1]!))) {
      word += text[++i];
      inWord = true;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new InvalidArgumentError(`invalid command "${text}": unterminated ${quote} quote`);
  if (inWord) words.push(word);
  return words;
}

/** addFilter adds one "key=value" to a filters object (values of one key are alternatives). */
export function addFilter(text: string, filters: ApiFilters): ApiFilters {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`invalid filter "${text}": use key=value, e.g. name=web`);
  const key = text.slice(0, eq).trim().toLowerCase();
  return { ...filters, [key]: { ...filters[key], [text.slice(eq + 1)]: true } };
}
