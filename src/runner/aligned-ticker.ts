// Ticks at every multiple of an interval since the epoch, for intervals cron cannot express evenly
// (45s, 90s, 7m: 60 is not a multiple of them, so `*/45` would tick at :00 and :45 of each minute).
// Aligned to the epoch, like cron, so replicas and restarts tick at the same instants. A slow tick
// does not stack: the tick function guards itself, and the next timer is set from the clock.

export interface Ticker {
  stop(): Promise<void>;
}

/** The first multiple of `intervalMs` after `nowMs`. */
export function nextAlignedMs(nowMs: number, intervalMs: number): number {
  return Math.floor(nowMs / intervalMs) * intervalMs + intervalMs;
}

export function startAlignedTicker(intervalMs: number, onTick: () => unknown, now: () => number = Date.now): Ticker {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const arm = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      arm();
      void onTick();
    }, nextAlignedMs(now(), intervalMs) - now());
  };
  arm();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
