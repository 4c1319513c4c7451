// A Prometheus-style duration field ("15s", "1h30m") read as milliseconds, for sections kept apart from schema.ts.

import { z } from 'zod';
import { parseDuration } from '../core/duration.js';
import { describeGiven } from '../core/given-value.js';

const EXPECTED = 'expected a duration like 15s, 1m or 1h';

/**
 * What is wrong with a given duration: what it got and, for a bare whole number (YAML's `timeout: 5`),
 * the same amount with a unit (seconds: what such a number mostly means).
 */
export function durationProblem(given: unknown): string {
  if (given === undefined) return EXPECTED;
  // Only a whole, positive count gets one: "-5s" is refused too, and "500ms" for 0.5 where some
  // keys take whole seconds only.
  const bare = typeof given === 'number' ? given : typeof given === 'string' && /^\d+$/.test(given) ? Number(given) : undefined;
  const unit = bare === undefined || !Number.isInteger(bare) || bare <= 0 ? '' : `; give a duration with a unit like "${bare}s"`;
  return `${EXPECTED}, got ${describeGiven(given)}${unit}`;
}

// A bare 0 is a number to YAML, and the one duration without a unit (what "0 turns it off" means).
export const durationField = z.preprocess((value) => (value === 0 ? '0' : value), z.string({ error: (issue) => durationProblem(issue.input) })).transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: durationProblem(text) });
    return z.NEVER;
  }
  // "99999999999d" is past what a millisecond count holds exactly: no setting means that.
  if (ms > MAX_DURATION_MS) {
    ctx.addIssue({ code: 'custom', message: `expected at most 10 years, got ${JSON.stringify(text)}` });
    return z.NEVER;
  }
  return ms;
});

/** The longest duration any setting takes. */
export const MAX_DURATION_MS = 10 * 365 * 86_400_000;

/** A request's timeout: more than nothing (0s timed every request out at once), at most 10 minutes. */
export const timeoutField = durationField.refine((ms) => ms > 0 && ms <= 600_000, { message: 'expected a timeout over 0s and at most 10m' });
