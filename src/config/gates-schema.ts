// Config for deploy gates and HA peers (deploys.gates, deploys.peers): kept apart from schema.ts.

import { z } from 'zod';

export const gatesSection = z
  .strictObject({
    /** What a gate does with an inconclusive verdict (too little traffic in the window to judge). */
    inconclusive: z.enum(['fail', 'pass']).default('fail'),
  })
  .default({ inconclusive: 'fail' });

/**
 * The other replicas of an HA pair: every deploy this replica learns from the API or a gate is
 * forwarded to them (with the same id and start time), so either replica answers for it.
 */
export const peersSection = z
  .array(
    z.string().refine((text) => {
      try {
        return ['http:', 'https:'].includes(new URL(text).protocol);
      } catch {
        return false;
      }
    }, { message: 'expected an http:// or https:// URL of the other replica' }),
  )
  .default([]);
