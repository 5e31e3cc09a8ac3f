// Placement constraints in Swarm's syntax: `<key> == <value>` or `<key> != <value>`.
// Keys are case-insensitive; label values are compared exactly, other values ignoring case.
// Unlike Swarm, an unknown key is an error at create time instead of a task that never places.

import { isIP } from 'node:net';
import { InvalidArgumentError } from '../types/index.js';
import { sameArch } from './platform.js';
import type { Node } from '../types/index.js';

export interface Constraint {
  key: string;
  op: '==' | '!=';
  value: string;
}

const FIXED_KEYS = ['node.id', 'node.hostname', 'node.ip', 'node.role', 'node.platform.os', 'node.platform.arch'];
const KEY_RE = /^[A-Za-z0-9_.-]+$/;

/** Error messages quote the input, cut short: a megabyte of constraint is not worth echoing. */
const quote = (text: string): string => JSON.stringify(text.length > 200 ? text.slice(0, 200) + '…' : text);

/** parseConstraint parses one expression; throws InvalidArgumentError naming the problem. */
export function parseConstraint(expr: string): Constraint {
  const m = splitOperator(expr);
  const key = m?.key.trim() ?? '';
  const value = m?.value.trim() ?? '';
  if (!m || !key || !value || !KEY_RE.test(key) || /[=!]=/.test(value)) {
    throw new InvalidArgumentError(
      `invalid constraint ${quote(expr)}: use <key>==<value> or <key>!=<value>, e.g. node.labels.zone==eu-1`,
    );
  }
  const lower = key.toLowerCase();
  const isLabel = (lower.startsWith('node.labels.') || lower.startsWith('engine.labels.')) && !lower.endsWith('.');
  if (!FIXED_KEYS.includes(lower) && !isLabel) {
    throw new InvalidArgumentError(
      `invalid constraint ${quote(expr)}: unknown key ${quote(key)}; valid keys are ${FIXED_KEYS.join(', ')}, node.labels.<name>, engine.labels.<name>`,
    );
  }
  if (lower === 'node.role' && !['manager', 'worker'].includes(value.toLowerCase())) {
    throw new InvalidArgumentError(`invalid constraint ${quote(expr)}: node.role is manager or worker`);
  }
  // Label names keep their case; fixed keys are normalised.
  const normKey = isLabel ? lower.slice(0, lower.indexOf('.labels.') + 8) + key.slice(lower.indexOf('.labels.') + 8) : lower;
  return { key: normKey, op: m.op, value };
}

/**
 * splitOperator splits at the first == or != an expression that has no line break (which the
 * syntax does not allow). Searched for, not matched by a regular expression: a lazy group would
 * backtrack quadratically over a long constraint, seconds for a hundred KiB of "==".
 */
function splitOperator(expr: string): Constraint | undefined {
  if (/[\n\r\u2028\u2029]/.test(expr)) return undefined;
  const eq = expr.indexOf('==');
  const ne = expr.indexOf('!=');
  const at = eq < 0 ? ne : ne < 0 ? eq : Math.min(eq, ne);
  if (at < 0) return undefined;
  return { key: expr.slice(0, at), op: expr.slice(at, at + 2) as Constraint['op'], value: expr.slice(at + 2) };
}

export function parseConstraints(exprs: readonly string[] | undefined): Constraint[] {
  return (exprs ?? []).map(parseConstraint);
}

/** matchNode tells whether a node satisfies one constraint. */
export function matchNode(c: Constraint, node: Node): boolean {
  const eq = (actual: string | undefined, exact: boolean): boolean => {
    if (actual === undefined) return false;
    return exact ? actual === c.value : actual.toLowerCase() === c.value.toLowerCase();
  };
  let equal: boolean;
  if (c.key.startsWith('node.labels.')) equal = eq(node.Spec.Labels?.[c.key.slice(12)], true);
  else if (c.key.startsWith('engine.labels.')) equal = eq(node.Description.Engine?.Labels?.[c.key.slice(14)], true);
  else if (c.key === 'node.ip') equal = ipMatches(node.Status.Addr, c.value);
  else if (c.key === 'node.platform.arch') equal = sameArch(node.Description.Platform?.Architecture, c.value);
  else {
    const actual: Record<string, string | undefined> = {
      'node.id': node.ID,
      'node.hostname': node.Description.Hostname,
      'node.role': node.Spec.Role,
      'node.platform.os': node.Description.Platform?.OS,
    };
    equal = eq(actual[c.key], false);
  }
  return c.op === '==' ? equal : !equal;
}

function ipMatches(addr: string | undefined, value: string): boolean {
  if (!addr) return false;
  const ip = addr.replace(/:\d+$/, '');
  if (!value.includes('/')) return ip === value;
  const [net, bitsText] = value.split('/');
  const bits = Number(bitsText);
  if (isIP(ip) !== 4 || isIP(net!) !== 4) return false;
  const toInt = (s: string): number => s.split('.').reduce((a, o) => (a << 8) + Number(o), 0) >>> 0;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (toInt(ip) & mask) === (toInt(net!) & mask);
}
