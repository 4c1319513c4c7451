// End to end with a real Prometheus: a route's traffic moves to a new route label (read through
// Prometheus's own rate() of a counter that stops and one that starts), and the same route's
// traffic lost beside it; and the same history as a replay file.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prometheusWithHistory } from '../helpers/prometheus.js';
import { runCli } from '../helpers/cli.js';
import { mulberry32, normal, poisson } from '../../scripts/sim/random.js';

const START_MS = Date.parse('2024-01-08T00:00:00Z');
const MOVE_MS = Date.parse('2024-01-08T02:00:00Z');
const END_MS = Date.parse('2024-01-08T03:00:00Z');
const STEP_S = 15;

/**
 * Two families of four routes (150-250 requests a second, demand wobbling 5 % each and 5 % together),
 * as counters every 15 s for three hours. At 02:00 route r0 of `moved_requests_total` goes to a new
 * route, r0-v2 (its old counter still exported, flat); r0 of `lost_requests_total` just stops.
 */
function history(): string {
  const random = mulberry32(29);
  const phi = Math.exp(-STEP_S / 120);
  const step = Math.sqrt(1 - phi * phi) * 0.05;
  const families = { moved: new Map<string, string[]>(), lost: new Map<string, string[]>() };
  const totals = new Map<string, number>();
  const own = [0, 0, 0, 0];
  let shared = 0;
  const count = (family: 'moved' | 'lost', route: string, rate: number, seconds: number) => {
    const key = `${family} ${route}`;
    const total = (totals.get(key) ?? 0) + poisson(random, rate * STEP_S);
    totals.set(key, total);
    const lines = families[family].get(route) ?? families[family].set(route, []).get(route)!;
    lines.push(`${family}_requests_total{route="${route}"} ${total} ${seconds}`);
  };
  for (let t = START_MS; t <= END_MS; t += STEP_S * 1000) {
    shared = phi * shared + step * normal(random);
    const after = t >= MOVE_MS;
    for (let i = 0; i < 4; i++) {
      own[i] = phi * own[i]! + step * normal(random);
      const rate = (150 + 33 * i) * Math.exp(own[i]! + shared);
      for (const family of ['moved', 'lost'] as const) count(family, `r${i}`, i === 0 && after ? 0 : rate, t / 1000);
      if (i === 0 && after) count('moved', 'r0-v2', rate, t / 1000);
    }
  }
  const out: string[] = [];
  for (const family of ['moved', 'lost'] as const) {
    out.push(`# HELP ${family}_requests Requests by route.`, `# TYPE ${family}_requests counter`);
    for (const lines of families[family].values()) out.push(...lines);
  }
  out.push('# EOF', '');
  return out.join('\n');
}

describe("a route's traffic moved to a new route, through a real Prometheus", () => {
  const prometheus = prometheusWithHistory('stormwatch-moved-', history);

  it("through Prometheus, pages the old route at the cut-over's first tick and resolves it when judged moved at the next, saying why; pages the route lost beside it and keeps it firing", async () => {
    // Prometheus's rate() of the new route's counter exists only from its second sample: at the
    // cut-over's first tick the traffic is nowhere to be seen. A replay file (below) lists the new
    // series from its first sample, and the page waits for it.
    const config = join(prometheus.dir, 'config.yaml');
    writeFileSync(config, `interval: 15s\nsource:\n  prometheus:\n    url: ${prometheus.url}\n    warmup: 1h\n${SIGNALS}`);
    const result = await runCli(['backtest', '--config', config, '--from', '2024-01-08T01:00:00Z', '--to', '2024-01-08T02:30:00Z'], 120_000);
    expect(result.code, result.stderr).toBe(0);
    const outages = outagesOf(result.stdout);
    expect(outages.map((t) => [t.status, t.labels.signal, t.labels.route, t.evaluatedAt])).toEqual([
      ['firing', 'moved', 'r0', '2024-01-08T02:00:00.000Z'],
      ['firing', 'lost', 'r0', '2024-01-08T02:00:00.000Z'],
      // Judged moved at 02:00:15, and resolved then: a verdict that lasts has nothing to flap back.
      ['resolved', 'moved', 'r0', '2024-01-08T02:00:15.000Z'],
    ]);
    expect(outages[2]!.annotations.resolved_because).toMatch(/^its traffic moved to the signal's other series, whose total held: not lost/);
    const said = movedLines(result.stderr);
    expect(said.map((l) => [l.series, l.dataTime]), result.stderr).toEqual([['moved{route="r0"}', '2024-01-08T02:00:15.000Z']]);
    expect(Number(said[0]!.lostPerSecond)).toBeGreaterThan(100);
  }, 150_000);

  it('from a replay file of the same history (the new series listed at its first sample), pages only the route lost', async () => {
    const config = join(prometheus.dir, 'replay.yaml');
    writeFileSync(config, `interval: 15s\nsource:\n  replay:\n    file: ${join(prometheus.dir, 'history.om')}\n${SIGNALS}`);
    const result = await runCli(['backtest', '--config', config], 120_000);
    expect(result.code, result.stderr).toBe(0);
    expect(outagesOf(result.stdout).map((t) => [t.status, t.labels.signal, t.labels.route])).toEqual([['firing', 'lost', 'r0']]);
    expect(movedLines(result.stderr).map((l) => l.series)).toEqual(['moved{route="r0"}']);
  }, 150_000);
});

const SIGNALS = `signals:\n  - name: moved\n    by: [route]\n    requests: 'moved_requests_total'\n  - name: lost\n    by: [route]\n    requests: 'lost_requests_total'\n`;

function outagesOf(stdout: string): { status: string; labels: Record<string, string>; annotations: Record<string, string>; evaluatedAt: string }[] {
  return stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { status: string; labels: Record<string, string>; annotations: Record<string, string>; evaluatedAt: string })
    .filter((t) => t.labels.alertname === 'StormwatchOutage');
}

function movedLines(stderr: string): Record<string, unknown>[] {
  return stderr
    .split('\n')
    .filter((l) => l.includes('a collapse judged traffic moved'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
