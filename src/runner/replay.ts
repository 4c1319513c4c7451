// `run` with a replay source: the file goes through the full pipeline at full speed, alerts are
// delivered to the configured sinks, and the command exits once they are delivered.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StormwatchConfig } from '../config/load.js';
import type { Logger } from '../core/log.js';
import type { AlertTransition } from '../core/types.js';
import type { TickResult } from '../pipeline.js';
import type { HistoryStore } from '../ui/history-store.js';
import { type BacktestOptions, type BacktestSummary, runBacktest } from './backtest.js';
import { Notifier } from './notify.js';
import { MuteStage, type Muting } from '../decisions/mute-stage.js';
import { muteConfig } from './mute-config.js';

export interface ReplayOptions {
  logger: Logger;
  /** Every transition, with what muted it when it was not delivered. */
  onTransition?: (t: AlertTransition, muted?: readonly Muting[]) => void;
  drainTimeoutMs?: number;
  /** Passed to the backtest: keep a history for the UI or a report, and learn it when the run starts. */
  keepHistory?: boolean;
  onStart?: BacktestOptions['onStart'];
  /** Each tick's result, with its transitions that were muted and why. */
  onTick?: (result: TickResult, muted: ReadonlyMap<AlertTransition, readonly Muting[]>) => void;
  /** A muted firing alert delivered after all: its muting ended while it still fired. */
  onRelease?: (t: AlertTransition, atMs: number) => void;
  /** Only the series of this shard, as `run --shard` watches a live source's. */
  shard?: BacktestOptions['shard'];
}

export async function runReplay(config: StormwatchConfig, options: ReplayOptions): Promise<{ transitions: number; /** Pending at the end, or given up. */ undelivered: number; backtest: BacktestSummary }> {
  const { logger } = options;
  // A replay is not the live service: its notifications get an outbox of their own.
  const outboxDir = mkdtempSync(join(tmpdir(), 'stormwatch-replay-'));
  // Given up (a receiver that refused, or failed for delivery.maxAge): not delivered either.
  let givenUp = 0;
  const notifier = new Notifier(config, { logger, outboxDir, onEvent: (e) => void (e.kind === 'gave_up' && givenUp++) });
  try {
    // Maintenance windows and inhibition apply at data time; silences belong to a live service.
    const mute = new MuteStage(muteConfig(config, () => []));
    let lastMs = Number.NaN;
    let history: HistoryStore | undefined;
    const summary = await runBacktest(config, {
      logger,
      ...(options.keepHistory ? { keepHistory: true } : {}),
      ...(options.shard ? { shard: options.shard } : {}),
      onStart: (info) => {
        history = info.history;
        options.onStart?.(info);
      },
      onTick: (result, pipeline) => {
        const { deliver, muted } = mute.filter(result.transitions, result.timeMs);
        options.onTick?.(result, muted);
        // The history marks them as `run` does, so the UI of a replay (the demo's) shows what muted each.
        for (const [t, by] of muted) if (t.status === 'firing' && t.update === undefined) history?.markMuted(t.fingerprint, by.map((m) => m.by));
        // As `run` releases them: not an alert whose condition is over (held only by keepFiringFor).
        const released = mute.release(result.timeMs, mute.heldCount > 0 ? pipeline.lingering(result.timeMs) : undefined);
        for (const t of released) history?.markReleased(t.fingerprint, result.timeMs);
        // Handed on to be printed once queued, as `run` does (live.ts, emit).
        notifier.handle([...deliver, ...released], result.timeMs);
        for (const t of result.transitions) options.onTransition?.(t, muted.get(t));
        for (const t of released) options.onRelease?.(t, result.timeMs);
        lastMs = result.timeMs;
      },
      onTransition: () => {},
    });
    if (!Number.isNaN(lastMs)) notifier.handle([], lastMs, true);
    const undelivered = await notifier.drain(options.drainTimeoutMs ?? 30_000);
    if (undelivered > 0) logger.log('error', 'notifications undelivered when the replay ended', { count: undelivered });
    logger.log('info', 'replay done', { frames: summary.frames, transitions: summary.transitions, ...(givenUp > 0 ? { givenUp } : {}) });
    return { transitions: summary.transitions, undelivered: undelivered + givenUp, backtest: summary };
  } finally {
    notifier.close();
    // A replay that failed (a bad file, a bad config) leaves no outbox behind either.
    rmSync(outboxDir, { recursive: true, force: true });
  }
}
