// Ticks at every multiple of an interval since the epoch, for intervals cron cannot express evenly
// (45s, 90s, 7m: 60 is not a multiple of them, so `*/45` would tick at :00 and :45 of each minute).
// Aligned to the epoch, like cron, so replicas and restarts tick at the same instants. A slow tick
// does not stack: the tick function guards itself, and the next timer is set from the clock.

export interface Ticker {
  stop(): Promise<void>;
}

/** The first multiple of `intervalMs` after `nowMs`, shifted by `offsetMs` (less than the interval). */
export function nextAlignedMs(nowMs: number, intervalMs: number, offsetMs = 0): number {
  return Math.floor((nowMs - offsetMs) / intervalMs) * intervalMs + intervalMs + offsetMs;
}

/**
 * The tick instants a start still has to read from history before its first live tick: those
 * after `fedUntilMs` (the data time last fed: history read or the saved state) up to the latest at
 * or before `nowMs + leadMs`, spanning at most `maxSpanMs`; undefined when there are none. The
 * first instant taken is more than half an interval after `fedUntilMs`: history read on another
 * grid (no offset) may end just before an instant, and a tick that close would count most of its
 * span twice. `leadMs`: how long before an instant a schedule made now would already miss it (cron
 * fires at the whole second and waits the offset's sub-second rest: a schedule made inside that
 * second misses the instant at its end), so such an instant is read here, once it has come.
 */
export function catchUpRange(fedUntilMs: number, nowMs: number, intervalMs: number, offsetMs: number, maxSpanMs: number, leadMs = 0): { fromMs: number; toMs: number } | undefined {
  if (!Number.isFinite(fedUntilMs)) return undefined;
  const toMs = nextAlignedMs(nowMs + leadMs, intervalMs, offsetMs) - intervalMs;
  const fromMs = Math.max(nextAlignedMs(fedUntilMs + intervalMs / 2, intervalMs, offsetMs), toMs - Math.floor(maxSpanMs / intervalMs) * intervalMs);
  return fromMs <= toMs ? { fromMs, toMs } : undefined;
}

export function startAlignedTicker(intervalMs: number, onTick: () => unknown, now: () => number = Date.now, offsetMs = 0): Ticker {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const arm = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      arm();
      void onTick();
    }, nextAlignedMs(now(), intervalMs, offsetMs) - now());
  };
  arm();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
