import { InvalidArgumentError } from '../types/index.js';

/** parseLabels turns ["k=v", "flag"] into {k: "v", flag: ""}. */
export function parseLabels(items: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    const key = eq < 0 ? item : item.slice(0, eq);
    if (!key) throw new InvalidArgumentError(`invalid label "${item}": use key=value`);
    out[key] = eq < 0 ? '' : item.slice(eq + 1);
  }
  return out;
}
