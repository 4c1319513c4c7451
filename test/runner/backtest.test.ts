// Scenario tests: every bundled scenario replayed through the real pipeline and scored against
// its labelled incident windows and expectations (the same scoring `npm run scorecard` prints).

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/log.js';
import { FIXTURES_DIR } from '../../src/core/paths.js';
import type { AlertTransition } from '../../src/core/types.js';
import { runBacktest } from '../../src/runner/backtest.js';
import { type ScoredTick, scoreScenario, scoredTick } from '../../scripts/scorecard/score.js';
import { replayConfig, scenarioLabels } from '../helpers/scenarios.js';

const names = readdirSync(join(FIXTURES_DIR, 'scenarios'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.replace(/\.json$/, ''))
  .sort();

describe.each(names)('scenario %s', (name) => {
  it('meets its expectations: alerts, delay, estimates, no false pages', async () => {
    const labels = scenarioLabels(name);
    const transitions: AlertTransition[] = [];
    const ticks: ScoredTick[] = [];
    await runBacktest(replayConfig(name), { logger: silentLogger, onTransition: (t) => transitions.push(t), onTick: (t) => ticks.push(scoredTick(t)) });
    const score = scoreScenario(labels, transitions, ticks);
    expect(score.checks.filter((c) => !c.ok)).toEqual([]);
    // Every firing alert resolves by the end of the scenario.
    const firing = transitions.filter((t) => t.status === 'firing' && t.update === undefined).map((t) => t.fingerprint);
    const resolved = transitions.filter((t) => t.status === 'resolved').map((t) => t.fingerprint);
    expect(resolved.sort()).toEqual([...firing].sort());
    // An update re-reads an incident already paged for and not yet resolved: same fingerprint and startsAt.
    for (const u of transitions.filter((t) => t.update !== undefined)) {
      const i = transitions.indexOf(u);
      const page = transitions.slice(0, i).reverse().find((t) => t.fingerprint === u.fingerprint && t.update === undefined);
      expect(page).toMatchObject({ status: 'firing', startsAtMs: u.startsAtMs });
    }
  });
});

describe('scenario catalogue', () => {
  it('covers both incident analogues, partial failures, a surge, deploys, a closed client pool and a week', () => {
    expect(names).toEqual(
      expect.arrayContaining([
        'crates-2023-07-20-broken-redirect',
        'crates-2023-01-25-dns-outage',
        'partial-static-503-05pct',
        'partial-static-503-30pct',
        'partial-static-503-70pct',
        'organic-surge-release-day',
        'quiet-deploys',
        'ci-pool-broken-redirect',
        'seasonal-week',
      ]),
    );
  });
});

describe('a backtest without anomaly scores', () => {
  const run = async (config: ReturnType<typeof replayConfig>, anomalyScores: boolean) => {
    const transitions: AlertTransition[] = [];
    const scores: number[] = [];
    await runBacktest(config, {
      logger: silentLogger,
      anomalyScores,
      onTransition: (t) => transitions.push(t),
      onTick: (r) => {
        for (const report of r.signals.values()) scores.push(report.anomalyScore ?? Number.NaN);
      },
    });
    return { transitions, scores };
  };

  it('decides the same transitions, its scores left unread (NaN)', async () => {
    for (const name of ['crates-2023-07-20-broken-redirect', 'ci-pool-broken-redirect', 'partial-static-503-30pct']) {
      const config = { ...replayConfig(name), deploys: undefined };
      const kept = await run(config, true);
      const skipped = await run(config, false);
      expect(kept.transitions.length, name).toBeGreaterThan(0);
      expect(JSON.stringify(skipped.transitions), name).toBe(JSON.stringify(kept.transitions));
      expect(kept.scores.filter(Number.isFinite).length, name).toBeGreaterThan(kept.scores.length / 2);
      expect(skipped.scores.filter(Number.isFinite), name).toEqual([]);
    }
  });

  it('keeps them when deploys are judged: their verdicts read the score', async () => {
    const config = replayConfig('quiet-deploys');
    expect(config.deploys).toBeDefined();
    const skipped = await run(config, false);
    expect(skipped.scores.filter(Number.isFinite).length).toBeGreaterThan(skipped.scores.length / 2);
  });
});
