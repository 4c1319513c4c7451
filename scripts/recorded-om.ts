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

/**
 * The recording with `copies` copies of its healthy stretch (every scrape more than 2 s before
 * `onsetMs`) played before it, back to back, so a replay can warm on minutes of history instead of
 * the recording's half minute. Counters stay monotone: each copy adds the stretch's increase, and
 * the step from one copy to the next is the stretch's first step, not a scrape without traffic.
 */
export function withHealthyHistory(om: string, onsetMs: number, copies: number): string {
  const lines = om.split('\n');
  const isSample = (l: string) => l.length > 0 && !l.startsWith('#');
  const samples = lines.filter(isSample).map((l) => {
    const [series, value, ts] = l.split(' ') as [string, string, string];
    return { series, value: Number(value), t: Number(ts) };
  });
  const times = [...new Set(samples.map((s) => s.t))].sort((a, b) => a - b);
  const healthy = times.filter((t) => t * 1000 < onsetMs - 2000);
  if (copies <= 0 || healthy.length < 2) return om;
  const [t0, t1, tLast] = [healthy[0]!, healthy[1]!, healthy[healthy.length - 1]!];
  const span = tLast - t0 + (t1 - t0);
  const first = new Map<string, number>();
  const second = new Map<string, number>();
  const last = new Map<string, number>();
  for (const s of samples) {
    if (s.t === t0) first.set(s.series, s.value);
    if (s.t === t1) second.set(s.series, s.value);
    if (s.t === tLast) last.set(s.series, s.value);
  }
  const step = (series: string) => (last.get(series) ?? 0) - (first.get(series) ?? 0) + (second.get(series) ?? 0) - (first.get(series) ?? 0);
  const line = (series: string, value: number, t: number) => `${series} ${value} ${t.toFixed(3)}`;
  const stretch = samples.filter((s) => s.t <= tLast && first.has(s.series));
  const out: string[] = [];
  for (let j = copies; j >= 1; j--) for (const s of stretch) out.push(line(s.series, s.value + (copies - j) * step(s.series), s.t - j * span));
  for (const s of samples) out.push(line(s.series, s.value + copies * (first.has(s.series) ? step(s.series) : 0), s.t));
  const head = lines.filter((l) => l.startsWith('#') && l !== '# EOF');
  return [...head, ...out, ...(lines.includes('# EOF') ? ['# EOF'] : [])].join('\n') + '\n';
}
