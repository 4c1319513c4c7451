// Bounds how often the state file is written: many requests in a burst (deploy POSTs, transitions)
// share one write, at most one per `minIntervalMs`. A caller that needs its change durable (the
// deploy API before answering 201) awaits the write that includes it: group commit.

export class StateSaver {
  private scheduled: { promise: Promise<void>; timer: NodeJS.Timeout; resolve: () => void } | undefined;
  private lastWriteMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly write: () => void,
    private readonly minIntervalMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Asks for a write that includes the state as it is now; resolves once it is on disk. */
  request(): Promise<void> {
    if (this.scheduled) return this.scheduled.promise;
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    const delayMs = Math.max(0, this.lastWriteMs + this.minIntervalMs - this.now());
    const timer = setTimeout(() => this.flush(), delayMs);
    this.scheduled = { promise, timer, resolve };
    return promise;
  }

  /** Writes now when a write is due (or always, with `force`: at shutdown), and settles whoever waits. */
  flush(force = false): void {
    const s = this.scheduled;
    if (!s && !force) return;
    this.scheduled = undefined;
    if (s) clearTimeout(s.timer);
    this.lastWriteMs = this.now();
    this.write();
    s?.resolve();
  }

  /** When the last write happened (-Infinity before the first). */
  get lastWriteAtMs(): number {
    return this.lastWriteMs;
  }
}
