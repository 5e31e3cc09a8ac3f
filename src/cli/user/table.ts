// Column layout as the docker CLI's tabwriter does it (minwidth 10, padding 3): every column but
// the last is padded to its widest cell plus three spaces, and at least ten.

const MIN_WIDTH = 10;
const PADDING = 3;

export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [headers, ...rows];
  const widths = headers.map((_, col) => Math.max(MIN_WIDTH, ...all.map((r) => (r[col] ?? '').length + PADDING)));
  const last = headers.length - 1;
  return all
    .map((r) => headers.map((_, col) => (col === last ? (r[col] ?? '') : (r[col] ?? '').padEnd(widths[col]!))).join('').trimEnd() + '\n')
    .join('');
}
