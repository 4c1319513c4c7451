// Edits of a recorded storm's OpenMetrics text (fixtures/recorded/), for replays that ask "what if
// the live traffic had been a little different": shared by the recorded-storms test and
// `npm run seam-replay -- --raise`.

const DOWNLOADS = 'registry_download_requests_total ';

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
