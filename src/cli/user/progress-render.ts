// The convergence display of `docker service create`: "overall progress", one line per slot (or
// node) with the task's state and a bar, and a "verify" line. On a terminal the block is redrawn
// in place; otherwise only lines whose text changed are printed, one after another.

import { isTerminal, stateRank } from '../../types/index.js';
import type { Convergence, SlotView } from './convergence.js';

export interface ProgressLine {
  id: string;
  text: string;
}

/** Like the docker CLI: above this many replicas only the overall line is drawn. */
const MAX_SLOT_LINES = 20;
const BAR_WIDTH = 20;
const STATE_WIDTH = 'preparing'.length;

/** progressLines turns one assessment (and the verify status, if any) into display lines. */
export function progressLines(conv: Convergence, verify?: string): ProgressLine[] {
  const lines: ProgressLine[] = [{ id: 'overall progress', text: `${conv.running} out of ${conv.desired} tasks` }];
  if (conv.slots.length <= MAX_SLOT_LINES) lines.push(...conv.slots.map((s) => ({ id: s.label, text: slotText(s) })));
  if (verify) lines.push({ id: 'verify', text: verify });
  return lines;
}

function slotText({ task }: SlotView): string {
  if (!task) return '';
  const state = task.Status.State;
  if (task.Status.Err) return `${state}: ${task.Status.Err.replace(/\n/g, ' ')}`;
  if (isTerminal(state)) return state;
  const filled = Math.round(((stateRank(state) + 1) / (stateRank('running') + 1)) * BAR_WIDTH);
  const bar = filled >= BAR_WIDTH ? '='.repeat(BAR_WIDTH) : `${'='.repeat(filled)}>${' '.repeat(BAR_WIDTH - filled - 1)}`;
  return `${state.padEnd(STATE_WIDTH)} [${bar}]`;
}

/** Prints only what changed, each change on its own line: for logs and pipes. */
export class LineRenderer {
  private readonly shown = new Map<string, string>();

  render(lines: readonly ProgressLine[]): string {
    let out = '';
    for (const { id, text } of lines) {
      // A slot with no task yet has nothing to report.
      if (this.shown.get(id) === text || text === '') continue;
      this.shown.set(id, text);
      out += `${id}: ${text}`.trimEnd() + '\n';
    }
    return out;
  }
}

/** Redraws the whole block in place with ANSI cursor movement: for terminals. */
export class TtyRenderer {
  private drawn: string[] = [];

  constructor(private readonly columns: number) {}

  render(lines: readonly ProgressLine[]): string {
    // Lines are cut to the terminal width: a wrapped line would throw off the cursor-up count.
    const width = Math.max(10, this.columns - 1);
    const next = lines.map(({ id, text }) => truncate(`${id}: ${text}`.trimEnd(), width));
    if (next.join('\n') === this.drawn.join('\n')) return '';
    let out = this.drawn.length > 0 ? `\x1b[${this.drawn.length}A` : '';
    for (const line of next) out += `\x1b[2K${line}\n`;
    if (next.length < this.drawn.length) out += '\x1b[J';
    this.drawn = next;
    return out;
  }
}

function truncate(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}
