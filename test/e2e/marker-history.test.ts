// End to end: a rollout while stormwatch was not running is a deploy once it starts. A real
// Prometheus holds two hours (promtool backfill) of a counter and a build-info gauge whose version
// changed 50 and 10 minutes ago; `stormwatch run` reads the last hour at start-up. The version of
// 10 minutes ago is recorded as a deploy at the moment the history shows it, its window still
// open; the one of 50 minutes ago, whose window had passed, is learnt as the version that runs.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DeployRecord } from '../../src/deploys/types.js';
import { spawnCli } from '../helpers/cli.js';
import { historyRunConfig, prometheusWithHistory, stopChild } from '../helpers/prometheus.js';

const MIN = 60_000;
const STEP = 15_000;

/** The history's last sample time for a start at `nowMs` (15 s ago, on the 15 s grid). */
const endOf = (nowMs: number) => Math.floor(nowMs / STEP) * STEP - STEP;

/** Two hours of a 20 req/s counter, and the build-info gauge of three versions in turn. */
function history(nowMs: number): string {
  const end = endOf(nowMs);
  let out = '# HELP a_requests Requests served.\n# TYPE a_requests counter\n';
  for (let t = end - 120 * MIN, total = 0; t <= end; t += STEP, total += 20 * 15) out += `a_requests_total ${total} ${t / 1000}\n`;
  out += '# HELP app_build_info The running version.\n# TYPE app_build_info gauge\n';
  const versions: [string, number, number][] = [
    ['1.0.0', end - 120 * MIN, end - 50 * MIN - STEP],
    ['1.1.0', end - 50 * MIN, end - 10 * MIN - STEP],
    ['1.2.0', end - 10 * MIN, end],
  ];
  for (const [version, from, to] of versions) for (let t = from; t <= to; t += STEP) out += `app_build_info{version="${version}"} 1 ${t / 1000}\n`;
  return `${out}# EOF\n`;
}

describe('a rollout in the history read at start-up', () => {
  const prometheus = prometheusWithHistory('stormwatch-marker-history-', history);

  it('is a deploy from the moment the history shows its version, when its window is still open', async () => {
    const config = join(prometheus.dir, 'stormwatch.yaml');
    const deploys = `deploys:\n  window: 30m\n  markers:\n    - name: build\n      service: app\n      selector: app_build_info\n      label: version\n`;
    writeFileSync(config, `${historyRunConfig(prometheus.url, '0s', ['a'])}${deploys}delivery:\n  outboxDir: ${join(prometheus.dir, 'state')}\n`);
    const p = spawnCli(['run', '--config', config]);
    try {
      const url = String((await p.waitForLog('http server listening', 30_000)).url);
      let listed: DeployRecord[] = [];
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        listed = ((await (await fetch(`${url}/api/v1/deploys`)).json()) as { deploys: DeployRecord[] }).deploys;
        if (listed.length > 0) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      expect(listed.map((d) => [d.version, d.source, d.verdict]), listed.length === 0 ? p.stderr().split('\n').slice(0, 20).join('\n') : '').toEqual([['1.2.0', 'marker', 'pending']]);
      // Dated where the history first shows it (the backfill ended 15 s before the start, within a minute of it).
      const seenAt = listed[0]!.startedAtMs;
      const startedAt = Number(listed[0]!.id.split('-').at(-1));
      expect(startedAt).toBe(seenAt);
      expect(Date.now() - seenAt).toBeGreaterThan(10 * MIN - MIN);
      expect(Date.now() - seenAt).toBeLessThan(10 * MIN + 2 * MIN);
      expect(listed[0]!.windowEndsAtMs).toBe(seenAt + 30 * MIN);
    } finally {
      await stopChild(p.child);
    }
  }, 120_000);
});
