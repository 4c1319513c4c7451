// Node's young generation (V8's semi-space, 16 MB by default) against a large fleet read from a
// /metrics page. At 100k series a scrape tick allocates some 140 MB; what lives through two
// scavenges of it is promoted, and the old generation fills with it: 10-12 full collections in 24
// ticks, each marking the whole ~320 MB heap. Started with `--max-semi-space-size=64` the same ticks made none (0-2), and cost 0.90 s of
// CPU against 1.10 s (medians of seven alternated pairs of processes, the tuned one lower in all
// seven; docs/performance-rounds.md; the whole bench after read 1.02 against 1.1 s, medians of
// three processes each, within what separate runs move), for 0.6 KB a series more resident. From a Prometheus source
// it did not pay (three pairs: 0.93 against 0.90 s) and cost 1.1 KB a series; at 10k series it
// cost 100 MB for nothing. V8 sizes the young generation once, when Node starts, so it cannot be set
// from here as the inlining budget is: an operator's choice, which `stormwatch run` names once a
// scrape source's fleet is that large and the process was started without a size of its own.

/** The V8 flag that sets a semi-space's largest size, in MB (the young generation is three of them). */
export const SEMI_SPACE_FLAG = '--max-semi-space-size';
/** The size measured in seven pairs (32 and 128 were no better in one process each; 128 holds more). */
export const LARGE_FLEET_SEMI_SPACE_MB = 64;
/** From here a scrape source's fleet is told of the young generation (half the fleet it was measured at). */
export const LARGE_FLEET_SERIES = 50_000;

/**
 * The semi-space size the process was started with, in MB: the last one given in NODE_OPTIONS or
 * on node's command line (which comes after NODE_OPTIONS and wins); undefined when none was.
 */
export function givenSemiSpaceMb(execArgv: readonly string[], nodeOptions: string | undefined): number | undefined {
  let given: number | undefined;
  for (const arg of [...(nodeOptions ?? '').split(/\s+/), ...execArgv]) {
    const [name, value] = arg.split('=', 2);
    // V8 reads `_` and `-` in a flag's name alike.
    if (name?.replaceAll('_', '-') !== SEMI_SPACE_FLAG || value === undefined) continue;
    const mb = Number(value);
    if (Number.isFinite(mb) && mb >= 0) given = mb;
  }
  return given;
}

/**
 * What to tell an operator whose process reads `source` and watches `series` series, or undefined
 * when there is nothing to tell (a Prometheus or replay source, a small fleet, a size given).
 */
export function youngGenerationHint(source: string, series: number, givenMb: number | undefined): { message: string; fields: Record<string, unknown> } | undefined {
  if (source !== 'scrape' || series < LARGE_FLEET_SERIES || givenMb !== undefined) return undefined;
  return {
    message: `a large fleet read from a /metrics page with Node's default young generation: start node with ${SEMI_SPACE_FLAG}=${LARGE_FLEET_SEMI_SPACE_MB} (NODE_OPTIONS) to keep each tick's garbage out of the old generation (README, "Scale")`,
    fields: { series, nodeOptions: `${SEMI_SPACE_FLAG}=${LARGE_FLEET_SEMI_SPACE_MB}` },
  };
}
