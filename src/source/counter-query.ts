// The PromQL a counter selector becomes for a Prometheus source: the per-second rate of the
// selected series, summed (by the signal's `by` labels), with restarts accounted for.
//
// PromQL's irate() and rate() count a restarted pod's new value as its increase: what it counted
// between the last scrape and its restart is lost, so a rolling restart of the downstream pods
// reads as lost completions. Here a series that reset within the last two ticks contributes its rate
// from before the restart instead, scaled by how the series that did not reset changed since (a
// rollback mid-storm changes the load), the scale held to [0.5, 2] (the neighbours left may be a few
// tiny series, such as one pod's 5xx counter). A reset series with no such neighbour or no such
// history contributes what irate()/rate() say. Series that appeared or went stale are as Prometheus
// has them (the replay and scrape sources estimate those too: README, "Missing data is never zero").

export type RateFunction = 'irate' | 'rate';

/**
 * @param intervalMs stormwatch's tick, which should be the scrape interval: resets are looked for in
 *   the last two ticks (two scrapes at least), and "before" is two ticks back
 */
export function counterQuery(selector: string, fn: RateFunction, windowMs: number, intervalMs: number, by: readonly string[] = []): string {
  const w = `${windowMs / 1000}s`;
  const r = `${(2 * intervalMs) / 1000}s`;
  const now = `${fn}(${selector}[${w}])`;
  const before = `${fn}(${selector}[${w}] offset ${r})`;
  const reset = `resets(${selector}[${r}]) > 0`;
  const labels = by.join(', ');
  const grouping = by.length > 0 ? ` by (${labels})` : '';
  // Neighbours are series with no reset in the span both rates cover (three ticks): a neighbour that
  // itself restarted two ticks ago would read its own "before" short.
  const calm = `resets(${selector}[${(3 * intervalMs) / 1000}s]) > 0`;
  const growth = `clamp(sum${grouping}(${now} unless ${calm}) / sum${grouping}(${before} unless ${calm}), 0.5, 2)`;
  // Precedence: * over comparisons over and/unless over or.
  return `sum${grouping}(${now} unless ${reset} or (${before} and ${reset}) * on(${labels}) group_left() (${growth}) or ${now})`;
}
