// Config for muting alerts: maintenance windows and inhibition rules (kept apart from schema.ts).

import { z } from 'zod';
import { durationField } from './duration-schema.js';
import { timeZoneField } from './time-zone-schema.js';

const rfc3339 = z.string({ error: 'expected an RFC 3339 time like 2026-12-01T22:00:00Z' }).refine((t) => /^\d{4}-\d\d-\d\dT/.test(t) && !Number.isNaN(Date.parse(t)), {
  message: 'expected an RFC 3339 time like 2026-12-01T22:00:00Z',
});
const weekday = z.enum(['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'], { error: 'expected a weekday in English, lower case: monday ... sunday' });

export const maintenanceWindow = z
  .strictObject({
    name: z.string().regex(/^[a-zA-Z0-9_.-]+$/, { message: 'expected letters, digits, "_", "." or "-"' }),
    /** Alertmanager-style matchers selecting the alerts muted while the window is open. */
    matchers: z.array(z.string()).min(1, { message: 'expected at least one matcher like service="crates"' }),
    /** One-off: from `start` until `end`. */
    start: rfc3339.optional(),
    end: rfc3339.optional(),
    /** Weekly: on these days at `time` (HH:MM) for `duration`, on `timeZone`'s clocks (default UTC). */
    weekdays: z.array(weekday).min(1).optional(),
    time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: 'expected a time of day like 22:30' }).optional(),
    duration: durationField.optional(),
    /** The zone whose clocks `weekdays` and `time` are read on (IANA name, as Alertmanager's `location`). */
    timeZone: timeZoneField.optional(),
  })
  .superRefine((w, ctx) => {
    const once = w.start !== undefined || w.end !== undefined;
    const weekly = w.weekdays !== undefined || w.time !== undefined || w.duration !== undefined || w.timeZone !== undefined;
    if (once === weekly) ctx.addIssue({ code: 'custom', message: 'expected either start and end (one-off) or weekdays, time and duration (weekly)' });
    else if (once && (w.start === undefined || w.end === undefined)) ctx.addIssue({ code: 'custom', message: 'a one-off window needs both start and end' });
    else if (once && Date.parse(w.end!) <= Date.parse(w.start!)) ctx.addIssue({ code: 'custom', path: ['end'], message: 'must be after start' });
    else if (weekly && (w.weekdays === undefined || w.time === undefined || w.duration === undefined)) ctx.addIssue({ code: 'custom', message: 'a weekly window needs weekdays, time and duration' });
    else if (weekly && (w.duration! <= 0 || w.duration! > 7 * 86_400_000)) ctx.addIssue({ code: 'custom', path: ['duration'], message: 'expected more than 0 and at most 7d' });
  });

export const inhibitRule = z.strictObject({
  /** A firing alert matching all of these... */
  sourceMatchers: z.array(z.string()).min(1),
  /** ...mutes alerts matching all of these... */
  targetMatchers: z.array(z.string()).min(1),
  /** ...that carry the same values of these labels (both missing counts as equal). */
  equal: z.array(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, { message: 'expected a label name' })).default([]),
});

/**
 * The default: a failed deploy's alert (which names the version and asks for a rollback) mutes the
 * incident alerts of the same service, so one bad deploy pages once. `inhibitRules: []` turns it off.
 */
export const DEFAULT_INHIBIT_RULES = [
  {
    sourceMatchers: ['alertname="StormwatchDeployRegression"'],
    targetMatchers: ['alertname=~"StormwatchRetryStorm|StormwatchOutage|StormwatchErrorRegression"'],
    equal: ['service'],
  },
];

export const muteSections = {
  maintenanceWindows: z.array(maintenanceWindow).default([]),
  inhibitRules: z.array(inhibitRule).default(DEFAULT_INHIBIT_RULES),
};
