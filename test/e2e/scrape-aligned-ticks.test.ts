// End to end: real Prometheus scrapes a target every 5 s at the phase it chooses; stormwatch, polling
// it every 5 s, learns that phase from the target's sample times (and how long its scrapes take)
// and ticks a moment after each scrape, so every tick reads a scrape under a second old instead of
// up to five.

import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliProcess, spawnCli } from '../helpers/cli.js';
import { type RunningPrometheus, startPrometheus, stopChild } from '../helpers/prometheus.js';
import { type DownloadTarget, startDownloadTarget } from '../helpers/download-target.js';

const INTERVAL_MS = 5000;

/** The answer's first value for `query` at Prometheus, once it has one. */
async function firstValue(prometheusUrl: string, query: string): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const answer = (await (await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(query)}`)).json()) as { data: { result: { value: [number, string] }[] } };
    const first = answer.data.result[0];
    if (first) return Number(first.value[1]);
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`Prometheus never answered ${query}`);
}

/**
 * The phase within the interval of the target's latest scrape, and how far the scrapes of the last
 * half minute strayed from it (ms, earliest ≤ 0 ≤ latest). A loaded machine starts a scrape tens of
 * ms late now and then, and stormwatch read its own scrape, not necessarily the test's.
 */
async function scrapePhases(prometheusUrl: string, selector: string): Promise<{ phaseMs: number; earliestMs: number; latestMs: number }> {
  const answer = (await (await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(`${selector}[30s]`)}`)).json()) as { data: { result: { values: [number, string][] }[] } };
  const times = (answer.data.result[0]?.values ?? []).map(([t]) => Math.round(t * 1000));
  if (times.length === 0) throw new Error(`no scrape of ${selector} in the last 30 s`);
  const phaseMs = times.at(-1)! % INTERVAL_MS;
  // Each scrape's phase as an offset from the latest's, the wrap at the interval's end undone.
  const offsets = times.map((t) => ((((t % INTERVAL_MS) - phaseMs + INTERVAL_MS / 2) % INTERVAL_MS) + INTERVAL_MS) % INTERVAL_MS - INTERVAL_MS / 2);
  return { phaseMs, earliestMs: Math.min(0, ...offsets), latestMs: Math.max(0, ...offsets) };
}

describe('ticks aligned to the scrapes of a real Prometheus', () => {
  let target: DownloadTarget;
  let prometheus: RunningPrometheus;
  let stormwatch: CliProcess;

  beforeAll(async () => {
    target = startDownloadTarget();
    await new Promise<void>((resolve) => target.server.listen(0, '127.0.0.1', resolve));
    prometheus = await startPrometheus({ scrapeTargets: [`127.0.0.1:${(target.server.address() as AddressInfo).port}`], scrapeInterval: '5s' });
  }, 60_000);

  afterAll(async () => {
    if (stormwatch && stormwatch.child.exitCode === null) await stopChild(stormwatch.child);
    clearInterval(target?.timer);
    await new Promise<void>((resolve) => (target ? target.server.close(() => resolve()) : resolve()));
    await prometheus?.stop();
  });

  it('ticks at the first tenth of a second after each scrape is stored, and says so', async () => {
    await firstValue(prometheus.url, 'timestamp(api_requests_total{route="download"})');
    const instance = `127.0.0.1:${(target.server.address() as AddressInfo).port}`;
    const configFile = join(mkdtempSync(join(tmpdir(), 'stormwatch-aligned-')), 'config.yaml');
    writeFileSync(
      configFile,
      `interval: 5s
source:
  prometheus:
    url: ${prometheus.url}
    warmup: 30s
    seasonalHistory: 0s
    rateWindow: 10s
signals:
  - name: downloads
    requests: 'api_requests_total{route="download"}'
    downstream: 'static_requests_total{code="200"}'
`,
    );
    stormwatch = spawnCli(['run', '--config', configFile, '--log-level', 'debug']);
    const running = await stormwatch.waitForLog('stormwatch running', 20_000);
    // The scrapes stormwatch may have read, read after it chose its offset.
    const { phaseMs, earliestMs, latestMs } = await scrapePhases(prometheus.url, 'api_requests_total{route="download"}');
    // Readable a quarter second plus twice the scrape's own duration after it starts. Stormwatch read
    // the duration of one scrape in the last half minute, and on a loaded machine those differ by
    // a hundred ms or more, so its margin lies between what the shortest and longest of them give.
    const durationOf = (fn: string) => firstValue(prometheus.url, `${fn}(scrape_duration_seconds{instance="${instance}"}[30s])`);
    const shortestMarginMs = 250 + 2 * 1000 * (await durationOf('min_over_time'));
    const marginMs = 250 + 2 * 1000 * (await durationOf('max_over_time'));
    // The offset is the next step of the 100 ms grid after phase and margin (cron takes the whole
    // seconds, a wait the rest): never before the scrape is stored, never a grid step past it, for
    // the phase of one of the scrapes of the last half minute.
    const offsetMs = Math.round(Number(running.tickOffsetSeconds) * 1000);
    // After the latest phase, or a little before it (an offset is never a second before its scrape).
    const sinceLatest = (((offsetMs - phaseMs) % INTERVAL_MS) + INTERVAL_MS) % INTERVAL_MS;
    const afterPhaseMs = sinceLatest > INTERVAL_MS - 1000 ? sinceLatest - INTERVAL_MS : sinceLatest;
    const context = `${stormwatch.stderr()}\nphase ${phaseMs} ms (${earliestMs} to +${latestMs} over 30 s), margin ${shortestMarginMs}-${marginMs} ms`;
    expect(afterPhaseMs, context).toBeGreaterThanOrEqual(Math.floor(shortestMarginMs) + earliestMs);
    expect(afterPhaseMs, context).toBeLessThan(marginMs + 100 + latestMs);
    expect(offsetMs % 100).toBe(0);
    expect(String(running.schedule), stormwatch.stderr()).toContain(`every 5s, ${offsetMs / 1000}s after each multiple since the epoch`);

    // Three ticks: each at that offset, each reading a scrape at most the margin, a grid step and
    // cron's lateness old (whole-second ticks would read it up to a second older).
    const ticks: number[] = [];
    const deadline = Date.now() + 25_000;
    while (ticks.length < 3 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      ticks.splice(0, ticks.length, ...stormwatch.stderr().split('\n').filter((l) => l.includes('"tick evaluated"')).map((l) => Date.parse((JSON.parse(l) as { dataTime: string }).dataTime)));
    }
    expect(ticks.length, stormwatch.stderr()).toBeGreaterThanOrEqual(3);
    for (const t of ticks) {
      const intoInterval = t % INTERVAL_MS;
      // cron fires within a few hundred ms of its second
      expect(intoInterval - offsetMs < 0 ? intoInterval - offsetMs + INTERVAL_MS : intoInterval - offsetMs).toBeLessThan(500);
      const ageMs = (((t - phaseMs) % INTERVAL_MS) + INTERVAL_MS) % INTERVAL_MS;
      // never before the scrape is stored (the margin's fixed quarter second: its scrape-duration
      // part is stormwatch's own reading, which may differ from the test's)
      expect(ageMs).toBeGreaterThanOrEqual(250 + earliestMs);
      expect(ageMs).toBeLessThan(marginMs + 600 + latestMs);
    }
  }, 90_000);

  it('reads every tick instant from its warm-up to its first live tick: none at start goes unread', () => {
    const lines = stormwatch
      .stderr()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const fed = lines.filter((l) => l.msg === 'baselines warmed from history' || l.msg === 'caught up from history before the first tick').map((l) => Number(l.toMs));
    const firstTick = lines.find((l) => l.msg === 'tick evaluated');
    expect(fed.length, stormwatch.stderr()).toBeGreaterThan(0);
    expect(firstTick, stormwatch.stderr()).toBeDefined();
    // The first live tick is the next instant after the last one read (cron fires within a few
    // hundred ms of it); before, the instant between them was never read.
    const gapMs = Date.parse(String(firstTick!.dataTime)) - Math.max(...fed);
    expect(gapMs, stormwatch.stderr()).toBeGreaterThanOrEqual(INTERVAL_MS);
    expect(gapMs, stormwatch.stderr()).toBeLessThan(INTERVAL_MS + 500);
  });
});
