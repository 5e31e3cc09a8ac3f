// A level-triggered wake-up: kick() is remembered until the next wait(), so a loop never misses
// a change that arrived while it was busy. An idle wait holds no timer, so it keeps no process alive.

export class Wakeup {
  private pending = false;
  private resolve: (() => void) | undefined;

  kick(): void {
    this.pending = true;
    this.resolve?.();
  }

  /** wait resolves at the next kick (at once if one came since the last wait), or after `ms`. */
  async wait(ms?: number): Promise<void> {
    if (!this.pending) {
      await new Promise<void>((resolve) => {
        const timer = ms === undefined ? undefined : setTimeout(resolve, ms);
        this.resolve = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.resolve = undefined;
    }
    this.pending = false;
  }
}
