// Scenario tests: every bundled scenario replayed through the real pipeline and scored against
// its labelled incident windows and expectations (the same scoring `npm run scorecard` prints).

import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/log.js';
import { FIXTURES_DIR } from '../../src/core/paths.js';
import type { AlertTransition } from '../../src/core/types.js';
import { runBacktest } from '../../src/runner/backtest.js';
import { loadReplayColumns } from '../../src/source/replay-source.js';
import { parseSelector } from '../../src/core/selector.js';
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

describe('the anomaly score through a page', () => {
  it('reads the incident\'s worst while it pages, not a harmless surge\'s level, and the tick\'s own after', async () => {
    const config = { ...replayConfig('crates-2023-07-20-broken-redirect'), deploys: undefined };
    const transitions: AlertTransition[] = [];
    const ticks: { timeMs: number; score: number }[] = [];
    await runBacktest(config, {
      logger: silentLogger,
      onTransition: (t) => transitions.push(t),
      onTick: (r) => ticks.push({ timeMs: r.timeMs, score: r.signals.get('crate-downloads')!.anomalyScore! }),
    });
    const fired = transitions.find((t) => t.status === 'firing' && t.labels.alertname === 'StormwatchRetryStorm')!;
    const resolved = transitions.find((t) => t.status === 'resolved' && t.fingerprint === fired.fingerprint)!;
    const during = ticks.filter((t) => t.timeMs >= fired.evaluatedAtMs && t.timeMs < resolved.evaluatedAtMs - config.alerting.keepFiringForMs);
    const atFiring = during[0]!.score;
    // The 13-minute storm: before, 0.13-0.18 after its first minute.
    expect(during.length).toBeGreaterThan(40);
    expect(atFiring).toBeGreaterThan(0.5);
    for (const t of during) expect(t.score, new Date(t.timeMs).toISOString()).toBeGreaterThanOrEqual(atFiring);
    const after = ticks.find((t) => t.timeMs > resolved.evaluatedAtMs)!;
    expect(after.score).toBeLessThan(0.5);
  });
});

describe('a backtest of a file holding more than the config reads', () => {
  const scenario = join(FIXTURES_DIR, 'scenarios', 'crates-2023-07-20-broken-redirect.om');
  const collect = async (config: ReturnType<typeof replayConfig>) => {
    const transitions: AlertTransition[] = [];
    const logged: string[] = [];
    await runBacktest(config, { logger: { log: (_level, msg) => logged.push(msg) }, onTransition: (t) => transitions.push(t) });
    return { transitions, logged };
  };

  it('keeps only the watched metrics, and decides as on the file without the others', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-backtest-'));
    try {
      // The scenario with a whole exporter's worth of other metrics after it, series by series: a
      // node's CPU counters at every timestamp, and a line of another metric without a timestamp.
      const text = readFileSync(scenario, 'utf8');
      const { timesMs } = await loadReplayColumns(scenario);
      const other: string[] = ['# TYPE node_cpu_seconds counter'];
      for (let cpu = 0; cpu < 4; cpu++) for (const t of timesMs) other.push(`node_cpu_seconds_total{cpu="${cpu}",mode="idle"} ${(t / 1000) * 0.9} ${t / 1000}`);
      other.push('# TYPE go_goroutines gauge', 'go_goroutines 12');
      const file = join(dir, 'exported.om');
      writeFileSync(file, text.replace('# EOF\n', `${other.join('\n')}\n# EOF\n`));
      const plain = await collect(replayConfig('crates-2023-07-20-broken-redirect'));
      const exported = await collect({ ...replayConfig('crates-2023-07-20-broken-redirect'), source: { kind: 'replay', file } });
      expect(plain.transitions.length).toBeGreaterThan(0);
      expect(JSON.stringify(exported.transitions)).toBe(JSON.stringify(plain.transitions));
      // Read as the backtest reads it: the other metrics counted, not kept; read whole, kept.
      const watched = new Set(['crates_api_requests_total', 'static_requests_total', 'crates_build_info']);
      const kept = await loadReplayColumns(file, (name) => watched.has(name));
      expect(kept.series.some((s) => s.name === 'node_cpu_seconds_total')).toBe(false);
      expect(kept.unwanted).toBe(4 * timesMs.length + 1);
      const whole = await loadReplayColumns(file);
      expect(whole.series.filter((s) => s.name === 'node_cpu_seconds_total')).toHaveLength(4);
      expect(whole.unwanted).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("warns of an errors selector whose metric is not in the file (its errors read 0), not of one whose metric has no errors", async () => {
    const config = replayConfig('crates-2023-07-20-broken-redirect');
    const signal = config.signals[0]!;
    const typo = { ...signal, name: 'typo', inputs: { ...signal.inputs, errors: { ...signal.inputs.errors!, selector: parseSelector('crates_api_request_total{code=~"5.."}') } } };
    const calm = { ...signal, name: 'calm', inputs: { ...signal.inputs, errors: { ...signal.inputs.errors!, selector: parseSelector(`${signal.inputs.requests!.selector!.text.replace(/\{.*$/, '')}{code="599"}`) } } };
    const logged: { msg: string; fields: Record<string, unknown> }[] = [];
    await runBacktest({ ...config, signals: [...config.signals, typo, calm] }, { logger: { log: (_level, msg, fields) => logged.push({ msg, fields: fields ?? {} }) }, onTransition: () => {} });
    expect(logged.filter((l) => l.msg.includes("errors selector's metric"))).toEqual([
      { msg: "an errors selector's metric has no series in the replay file: its errors read 0", fields: { signal: 'typo', metric: 'crates_api_request_total', selector: 'crates_api_request_total{code=~"5.."}' } },
    ]);
  });

  it('warns of a signal whose requests or downstream selector matched no series (a typo reads as a signal without data)', async () => {
    const config = replayConfig('crates-2023-07-20-broken-redirect');
    const signal = config.signals[0]!;
    const typo = { ...signal, name: 'typo', inputs: { ...signal.inputs, downstream: { ...signal.inputs.downstream!, selector: parseSelector('static_requests_total{code="2OO"}') } } };
    const logged: { msg: string; fields: Record<string, unknown> }[] = [];
    await runBacktest({ ...config, signals: [...config.signals, typo] }, { logger: { log: (_level, msg, fields) => logged.push({ msg, fields: fields ?? {} }) }, onTransition: () => {} });
    expect(logged.filter((l) => l.msg.includes('matched no series'))).toEqual([
      { msg: "a signal's selector matched no series of the replay file", fields: { signal: 'typo', input: 'downstream', selector: 'static_requests_total{code="2OO"}' } },
    ]);
  });

  it('warns when the file was scraped at another interval than the configuration says, and not when it matches', async () => {
    const config = replayConfig('crates-2023-07-20-broken-redirect');
    const warned = async (intervalMs: number) => {
      const logged: { msg: string; fields: Record<string, unknown> }[] = [];
      await runBacktest({ ...config, intervalMs }, { logger: { log: (_level, msg, fields) => logged.push({ msg, fields: fields ?? {} }) }, onTransition: () => {} });
      return logged.filter((l) => l.msg.includes('another interval'));
    };
    // The scenario is 15 s data.
    expect(await warned(15_000)).toEqual([]);
    const [warning] = await warned(1_000);
    expect(warning?.fields).toMatchObject({ fileSeconds: 15, intervalSeconds: 1 });
  });

  it('says which metrics it reads when the file holds none of them', async () => {
    const config = replayConfig('crates-2023-07-20-broken-redirect');
    const renamed = config.signals.map((s) => ({ ...s, inputs: Object.fromEntries(Object.entries(s.inputs).map(([k, v]) => [k, { ...v, selector: { ...v.selector!, matchers: v.selector!.matchers.map((m) => (m.label === '__name__' ? { ...m, value: `other_${m.value}` } : m)) } }])) }));
    const error = await collect({ ...config, signals: renamed, deploys: undefined }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/^replay .*crates-2023-07-20-broken-redirect\.om: none of its \d+ samples is of a metric the signals or deploy markers read \(other_crates_api_requests_total, /);
  });

  it('refuses a signal read through a PromQL query, naming it, and says a query-only deploy marker reads nothing', async () => {
    const config = replayConfig('crates-2023-07-20-broken-redirect');
    const [first, ...rest] = config.signals;
    const queried = { ...first!, inputs: { ...first!.inputs, requests: { query: 'sum(rate(crates_api_requests_total[1m]))' } } };
    const error = await collect({ ...config, signals: [queried, ...rest] }).catch((e: unknown) => e);
    expect((error as Error).message).toContain(`signal ${first!.name}'s requests is a PromQL query ({query: ...}), which only a Prometheus source runs`);
    const markers = config.deploys?.markers ?? [];
    expect(markers.length).toBeGreaterThan(0);
    const { logged } = await collect({ ...config, deploys: { ...config.deploys!, markers: markers.map((m) => ({ ...m, selector: undefined })) } });
    expect(logged).toContain('deploy marker not read from a replay file');
  });
});
