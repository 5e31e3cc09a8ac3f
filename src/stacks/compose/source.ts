// Reading a compose file: YAML 1.1 as the docker CLI reads it (`mode: 0444` is octal, `<<` merges
// mappings), into plain values, keeping the document to give the line of a path in messages.

import { LineCounter, parseDocument } from 'yaml';
import { InvalidArgumentError } from '../../types/index.js';
import { isObj } from '../../common/is-object.js';

export type Dict = Record<string, unknown>;
/** A path into the file: services, web, deploy, replicas. */
export type Path = readonly (string | number)[];

export interface ComposeSource {
  dict: Dict;
  /** The 1-based line where the value at path starts, when the file has it. */
  lineOf(path: Path): number | undefined;
}

export function parseCompose(text: string): ComposeSource {
  const lines = new LineCounter();
  const doc = parseDocument(text, { version: '1.1', lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const error = doc.errors[0];
  if (error) throw new InvalidArgumentError(`compose file: line ${lines.linePos(error.pos[0]).line}: ${error.message.split('\n')[0]}`);
  let dict: unknown;
  try {
    // Aliases expand: a file of nested aliases (a "billion laughs") is refused, not expanded.
    dict = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new InvalidArgumentError(`compose file: ${(err as Error).message}`);
  }
  if (!isObj(dict)) throw new InvalidArgumentError('compose file: top-level object must be a mapping (services: ...)');
  return {
    dict,
    lineOf(path) {
      const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
      return node?.range ? lines.linePos(node.range[0]).line : undefined;
    },
  };
}

/** pathText writes a path as the docker CLI names fields: services.web.ports[0].published. */
export function pathText(path: Path): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}
