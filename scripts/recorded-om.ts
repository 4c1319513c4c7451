// Edits of a recorded storm's OpenMetrics text (fixtures/recorded/), for replays that ask "what if
// the live traffic had been a little different": shared by the recorded-storms test and
// `npm run seam-replay -- --raise`.

import { lateCompletions } from './sim/late-completions.js';
import { mulberry32 } from './sim/random.js';

const DOWNLOADS = 'registry_download_requests_total ';
const COMPLETIONS = 'static_requests_total{code="200"} ';

/**
 * The recording's text with `extra[i]` more download requests in the i-th scrape after `afterMs`
 * (and every later one: the counter keeps them), nothing else changed.
 */
export function withExtraRequests(om: string, afterMs: number, extra: readonly number[]): string {
  const lines = om.split('\n');
  const times = [...new Set(lines.filter((l) => l.startsWith(DOWNLOADS)).map((l) => Number(l.split(' ')[2])))].filter((t) => t * 1000 > afterMs).sort((a, b) => a - b);
  return lines
    .map((line) => {
      if (!line.startsWith(DOWNLOADS)) return line;
      const [series, value, ts] = line.split(' ') as [string, string, string];
      const added = extra.reduce((sum, n, i) => (times[i] !== undefined && Number(ts) >= times[i]! ? sum + n : sum), 0);
      return `${series} ${Number(value) + added} ${ts}`;
    })
    .join('\n');
}

/**
 * The recording as if the static host were scraped a fraction `lag` of a tick after the registry
 * (two targets, each at its own phase): each completion of a scrape's increment is counted at the
 * next scrape instead with probability `lag` (for Poisson arrivals, the requests of the last
 * `lag` of the interval). The counter stays monotone and its total is unchanged.
 */
export function withLateCompletions(om: string, lag: number, seed: number): string {
  const counted = lateCompletions(mulberry32(seed), lag);
  let previous = 0;
  let countedTotal = 0;
  return om
    .split('\n')
    .map((line) => {
      if (!line.startsWith(COMPLETIONS)) return line;
      const [series, value, ts] = line.split(' ') as [string, string, string];
      const total = Number(value);
      countedTotal += counted(total - previous);
      previous = total;
      return `${series} ${countedTotal} ${ts}`;
    })
    .join('\n');
}
