// Completions counted at the next scrape: the downstream scraped a fraction `lag` of a tick after
// the requests (two targets, each at its own phase in the interval), so each completion of a tick
// is counted a tick late with probability `lag` (for Poisson arrivals, the requests of the last
// `lag` of the interval). Shared by the funnel-lag script, the recorded-storm replays and the tests.

/** A counter of completions as the late scrape reads them: give it each tick's completions, in order. */
export function lateCompletions(random: () => number, lag: number): (completed: number) => number {
  let late = 0;
  return (completed) => {
    let held = 0;
    for (let i = 0; i < completed; i++) if (random() < lag) held++;
    const counted = completed - held + late;
    late = held;
    return counted;
  };
}
