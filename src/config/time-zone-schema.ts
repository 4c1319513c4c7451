// A time zone as the config names it: an IANA name the runtime's time-zone database knows.

import { z } from 'zod';
import { timeZoneProblem } from '../core/wall-clock.js';

export const timeZoneField = z.string({ error: 'expected a time zone name like Europe/Berlin' }).superRefine((zone, ctx) => {
  const problem = timeZoneProblem(zone);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});
