// A progress bar for long backtests, drawn on stderr only when it is a terminal (logs and pipes
// stay clean). The line itself is pure; the writer throttles redraws.

export function progressLine(done: number, total: number, elapsedMs: number, width = 30): string {
  const f = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(f * width);
  const eta = f > 0 && f < 1 ? ` eta ${Math.ceil((elapsedMs * (1 - f)) / f / 1000)}s` : '';
  return `backtest [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(f * 100).toFixed(0).padStart(3)}% ${done}/${total} ticks${eta}`;
}

export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

/** A callback for runBacktest's onProgress, or undefined when the stream is not a terminal. */
export function progressBar(stream: ProgressStream, now: () => number = Date.now): { update: (done: number, total: number) => void; end: () => void } | undefined {
  if (!stream.isTTY) return undefined;
  const started = now();
  let last = 0;
  let drawn = false;
  return {
    update(done, total) {
      const t = now();
      if (done < total && t - last < 100) return;
      last = t;
      drawn = true;
      stream.write(`\r${progressLine(done, total, t - started)}\x1b[K`);
    },
    end() {
      if (drawn) stream.write('\n');
    },
  };
}
