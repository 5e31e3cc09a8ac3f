// The safety net: networks still up when the process ends are removed then. At 'exit' (a file
// whose tests never called destroy, an uncaught error, process.exit) and on SIGINT, SIGTERM and
// SIGHUP. Exit handlers cannot wait for anything, hence the synchronous run of the tear-down.

import { runScriptSync } from './script.js';
import { teardown } from './teardown.js';

const live = new Set<number>();
let installed = false;

export function track(id: number): void {
  live.add(id);
  if (installed) return;
  installed = true;
  process.on('exit', removeAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      removeAll();
      process.removeListener(signal, onSignal);
      // Die of the signal as if we had not caught it, unless someone else handles it.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

export function untrack(id: number): void {
  live.delete(id);
}

function removeAll(): void {
  for (const id of live) {
    try {
      const left = runScriptSync(teardown(id));
      if (left.length > 0) process.stderr.write(`test network ${id}: could not remove ${left.join(', ')}\n`);
    } catch (err) {
      process.stderr.write(`test network ${id}: tear-down failed: ${(err as Error).stack}\n`);
    }
  }
  live.clear();
}
