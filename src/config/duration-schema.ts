// A Prometheus-style duration field ("15s", "1h30m") read as milliseconds, for sections kept apart from schema.ts.

import { z } from 'zod';
import { parseDuration } from '../core/duration.js';

// A bare 0 is a number to YAML, and the one duration without a unit (what "0 turns it off" means).
export const durationField = z.preprocess((value) => (value === 0 ? '0' : value), z.string({ error: 'expected a duration like 15s, 1m or 1h' })).transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a duration like 15s, 1m or 1h, got ${JSON.stringify(text)}` });
    return z.NEVER;
  }
  return ms;
});
