// Bounds how often the state file is written: many requests in a burst (deploy POSTs, transitions)
// share one write, at most one per `minIntervalMs`. A caller that needs its change durable (the
// deploy API before answering 201) awaits the write that includes it: group commit.
//
// A write also starts no sooner after the last one ended than WRITE_SHARE − 1 times as long as that
// one took, up to `maxDeferMs`: at 100k series a save takes about a second of CPU and writes 200 MB,
// and a stream of deploy POSTs or probe transitions had saves made back to back (most of a core, and
// of the event loop). Now saves take at most a tenth of the time, or a third at the cap with a
// one-second save; a deploy's 201 waits at most `maxDeferMs` and one write, well inside the 10 s
// Argo's and Flagger's webhooks wait by default. A few series save in milliseconds: unchanged.
//
// A write may go on after write() returns (`run` syncs its saves off the event loop: a promise);
// then no other write starts before it settles, whoever waits is answered once it has, and its
// duration, syncs included, spaces the next.

/** Saves take at most 1/WRITE_SHARE of the time, below the cap. */
export const WRITE_SHARE = 10;
/** The longest a write waits after the last one ended, however long that one took. */
export const MAX_DEFER_MS = 2_000;

export class StateSaver {
  private scheduled: { promise: Promise<void>; timer: NodeJS.Timeout; resolve: () => void } | undefined;
  private lastWriteMs = Number.NEGATIVE_INFINITY;
  private lastDurationMs = 0;
  /** A write that goes on after write() returned (its syncs waiting on libuv's threads), until it settles. */
  private writing: Promise<unknown> | undefined;
  /** A flush asked for while `writing`: made once it settles (forced if any of those asking was). */
  private after: { force: boolean } | undefined;

  /**
   * @param write writes the state as it is now; when it returns a promise, the write goes on until
   *   that settles (its outcome is write's to report), and no other write starts before.
   */
  constructor(
    private readonly write: () => void | Promise<unknown>,
    private readonly minIntervalMs = 1000,
    private readonly now: () => number = Date.now,
    private readonly maxDeferMs = MAX_DEFER_MS,
  ) {}

  /** When the next write may start: `minIntervalMs` after the last one started, and its share of time after it ended. */
  get nextWriteAtMs(): number {
    const ended = this.lastWriteMs + this.lastDurationMs;
    return Math.max(this.lastWriteMs + this.minIntervalMs, ended + Math.min((WRITE_SHARE - 1) * this.lastDurationMs, this.maxDeferMs));
  }

  /** Asks for a write that includes the state as it is now; resolves once it is on disk. */
  request(): Promise<void> {
    if (this.scheduled) return this.scheduled.promise;
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    const delayMs = Math.max(0, this.nextWriteAtMs - this.now());
    const timer = setTimeout(() => this.flush(), delayMs);
    this.scheduled = { promise, timer, resolve };
    return promise;
  }

  /**
   * Writes now when a write is due (or always, with `force`: at shutdown), and settles whoever waits
   * once it is written. While a write is still going on, this one starts when it ends.
   */
  flush(force = false): void {
    const s = this.scheduled;
    if (!s && !force) return;
    if (this.writing) {
      // Whoever waits keeps waiting for this write, which follows the one going on: one write
      // however many ask meanwhile.
      if (s) clearTimeout(s.timer);
      if (this.after) this.after.force ||= force;
      else {
        const after = (this.after = { force });
        void this.writing.then(() => {
          this.after = undefined;
          this.flush(after.force);
        });
      }
      return;
    }
    this.scheduled = undefined;
    if (s) clearTimeout(s.timer);
    const started = this.now();
    this.lastWriteMs = started;
    const written = this.write();
    if (!(written instanceof Promise)) {
      this.lastDurationMs = Math.max(0, this.now() - started);
      s?.resolve();
      return;
    }
    const settled = () => {
      this.lastDurationMs = Math.max(0, this.now() - started);
      this.writing = undefined;
      s?.resolve();
    };
    this.writing = written.then(settled, settled);
  }

  /** flush(true), then the end of that write: what a shutdown waits for. */
  async flushAndWait(): Promise<void> {
    while (this.writing) await this.writing;
    this.flush(true);
    while (this.writing) await this.writing;
  }

  /** When the last write happened (-Infinity before the first). */
  get lastWriteAtMs(): number {
    return this.lastWriteMs;
  }
}
