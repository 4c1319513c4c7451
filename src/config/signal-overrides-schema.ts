// Detector parameters as a config overrides them (top-level `detector:`), and what one signal may
// override for itself: detector parameters, `for`, `keepFiringFor`, `classifyWithin`, annotations.

import { z } from 'zod';
import { durationField as duration } from './duration-schema.js';
import { timeZoneField } from './time-zone-schema.js';

/** Every detector parameter is optional here; missing ones come from the preset in models/. */
export const detectorOverrides = z.strictObject({
  preset: z.string().default('default'),
  baselineWindow: duration.optional(),
  baselineResolution: duration.optional(),
  minBaselinePoints: z.number().int().min(3).optional(),
  spikeFactor: z.number().gt(1).optional(),
  collapseFactor: z.number().gt(0).lt(1).optional(),
  minErrorRatioIncrease: z.number().gt(0).lt(1).optional(),
  funnelDropFraction: z.number().gt(0).lt(1).optional(),
  minRequestsPerTick: z.number().min(0).optional(),
  relearnAfter: duration.optional(),
  falseAlarmsPerYear: z.number().positive().optional(),
  /** The time zone whose clocks the traffic follows (IANA name): the weekly profile's hours and days. */
  timeZone: timeZoneField.optional(),
  /** false: every error alarm pages, however like the series' earlier error bursts it is (detectors/stats/error-bursts.ts). Default true. */
  holdErrorBursts: z.boolean().optional(),
});

export const signalOverrideFields = {
  /** This signal's detector: the top-level detector (or `preset`, when given) with these parameters changed. */
  detector: detectorOverrides.extend({ preset: z.string().optional() }).optional(),
  /** This signal's alert timing and extra annotations (a runbook_url, a dashboard link). */
  alerting: z
    .strictObject({
      for: duration.optional(),
      keepFiringFor: duration.optional(),
      classifyWithin: duration.optional(),
      annotations: z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, { message: 'expected an annotation name like runbook_url' }), z.string()).default({}),
    })
    .optional(),
};
