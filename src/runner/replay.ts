// `run` with a replay source: the file goes through the full pipeline at full speed, alerts are
// delivered to the configured sinks, and the command exits once they are delivered.

import type { StormwatchConfig } from '../config/load.js';
import type { Logger } from '../core/log.js';
import type { AlertTransition } from '../core/types.js';
import { runBacktest } from './backtest.js';
import { Notifier } from './notify.js';

export interface ReplayOptions {
  logger: Logger;
  onTransition?: (t: AlertTransition) => void;
  drainTimeoutMs?: number;
}

export async function runReplay(config: StormwatchConfig, options: ReplayOptions): Promise<{ transitions: number; undelivered: number }> {
  const { logger } = options;
  const notifier = new Notifier(config, (sink, outcome, detail) => {
    if (outcome === 'gave_up') logger.log('error', 'notification given up', { sink, detail });
    else if (outcome !== 'delivered') logger.log('warn', 'notification attempt failed', { sink, outcome, detail });
  });
  const summary = await runBacktest(config, {
    logger,
    onTransition: (t) => {
      options.onTransition?.(t);
      notifier.notify([t]);
    },
  });
  const undelivered = await notifier.drain(options.drainTimeoutMs ?? 30_000);
  if (undelivered > 0) logger.log('error', 'notifications undelivered when the replay ended', { count: undelivered });
  logger.log('info', 'replay done', { frames: summary.frames, transitions: summary.transitions });
  return { transitions: summary.transitions, undelivered };
}
