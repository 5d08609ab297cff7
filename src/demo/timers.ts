/** Timers owned by one demo backend, all cancelled by `clearAll()` on stop (no open handles left behind). */
export class Timers {
  private readonly pending = new Set<NodeJS.Timeout>();
  private readonly sleepers = new Set<() => void>();
  private stopped = false;

  /** Run `fn` after `ms` unless the backend stops first. */
  after(ms: number, fn: () => void): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.pending.delete(t);
      fn();
    }, ms);
    this.pending.add(t);
  }

  /** Resolves after `ms`, or early (with false) when the backend stops. */
  sleep(ms: number): Promise<boolean> {
    if (this.stopped) return Promise.resolve(false);
    return new Promise((resolve) => {
      const wake = () => resolve(false);
      this.sleepers.add(wake);
      this.after(ms, () => {
        this.sleepers.delete(wake);
        resolve(true);
      });
    });
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  clearAll(): void {
    this.stopped = true;
    for (const t of this.pending) clearTimeout(t);
    this.pending.clear();
    for (const w of this.sleepers) w();
    this.sleepers.clear();
  }
}
