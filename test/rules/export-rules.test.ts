// Rules for split signals and the Prometheus source's rate settings: each label set is its own
// series, judged against its own baseline; promtool accepts the result.

import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { exportRules } from '../../src/rules/export-rules.js';

const run = promisify(execFile);

function config(source: string): ReturnType<typeof loadConfig> {
  const dir = mkdtempSync(join(tmpdir(), 'stormwatch-rules-unit-'));
  const file = join(dir, 'c.yaml');
  writeFileSync(
    file,
    `source:\n${source}\nsignals:\n  - name: api\n    by: [service, route]\n    requests: 'http_requests_total{job="api"}'\n    errors: 'http_requests_total{job="api",code=~"5.."}'\n    downstream: 'static_served_total{job="cdn"}'\n  - name: whole\n    requests: 'http_requests_total{job="api"}'\n`,
  );
  return loadConfig(file);
}

const byRecord = (rules: Record<string, unknown>[], name: string) => rules.find((r) => r.record === name)!.expr as string;

describe('stormwatch rules', () => {
  it('honours by: and the Prometheus source rate function and window', () => {
    const { groups } = exportRules(config('  prometheus:\n    url: http://127.0.0.1:9090\n    rateFunction: rate\n    rateWindow: 2m'));
    const api = groups.find((g) => g.name === 'stormwatch-api')!.rules;
    expect(byRecord(api, 'stormwatch:requests:rate')).toBe('sum by (service, route)(rate(http_requests_total{job="api"}[120s]))');
    expect(byRecord(api, 'stormwatch:errors:ratio')).toBe(
      '((sum by (service, route)(rate(http_requests_total{job="api",code=~"5.."}[120s]))) or (sum by (service, route)(rate(http_requests_total{job="api"}[120s]))) * 0) / (sum by (service, route)(rate(http_requests_total{job="api"}[120s])))',
    );
    const storm = api.find((r) => r.alert === 'StormwatchRetryStorm')!.expr as string;
    expect(storm).toContain('and on(signal, service, route) (stormwatch:amplification:ratio{signal="api"} > 1.2)');
    expect(storm).not.toContain('on()');
    // A collapse counts below the factor and the band of one tick's count (15 s ticks).
    const band = '(stormwatch:requests:baseline{signal="api"} * 15)';
    expect(api.find((r) => r.alert === 'StormwatchOutage')!.expr).toContain(`stormwatch:amplification:ratio{signal="api"} <= on(signal, service, route) clamp_max(exp(-3 / sqrt(${band})), 0.2)`);
    // An unsplit signal keeps its single-series form.
    const whole = groups.find((g) => g.name === 'stormwatch-whole')!.rules;
    expect(byRecord(whole, 'stormwatch:requests:rate')).toBe('sum(rate(http_requests_total{job="api"}[120s]))');
  });

  it("calls a rise a storm only where the failing share lets retries make it, judged by Prometheus's own engine (promtool test rules)", async () => {
    // The alerting rules alone, fed the recorded series they read: 5 % of requests not completing
    // downstream with requests at 1.25x (retries add at most 1.053x: demand rose) is a regression;
    // 30 % at 1.4x is a storm.
    const { groups } = exportRules(config('  prometheus:\n    url: http://127.0.0.1:9090'));
    const api = groups.find((g) => g.name === 'stormwatch-api')!;
    const alerting = { groups: [{ ...api, rules: api.rules.filter((r) => 'alert' in r && r.alert !== 'StormwatchOrganicSurge') }] };
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-rules-promtool-'));
    writeFileSync(join(dir, 'alerts.yml'), stringify(alerting, { lineWidth: 0, aliasDuplicateObjects: false }));
    const series = (route: string, completion: number, amplification: number) => {
      const l = `{signal="api", service="dl", route="${route}"}`;
      return [
        { series: `stormwatch:completion:ratio${l}`, values: `${completion}x10` },
        { series: `stormwatch:completion:baseline${l}`, values: '0.999x10' },
        { series: `stormwatch:errors:ratio${l}`, values: '0x10' },
        { series: `stormwatch:errors:baseline${l}`, values: '0x10' },
        { series: `stormwatch:requests:baseline${l}`, values: '1000x10' },
        { series: `stormwatch:amplification:ratio${l}`, values: `${amplification}x10` },
      ];
    };
    // promtool compares annotations too: the rule's own, its value (the failing ratio) filled in.
    const annotations = (alertname: string, value: string) => {
      const a = alerting.groups[0]!.rules.find((r) => r.alert === alertname)!.annotations as Record<string, string>;
      return { ...a, description: a.description!.replace('{{ $value | printf "%.3g" }}', value) };
    };
    const firing = (alertname: string, route: string, value: string) => [{ exp_labels: { signal: 'api', service: 'dl', route, severity: 'critical' }, exp_annotations: annotations(alertname, value) }];
    const at = (alertname: string, exp_alerts: unknown[]) => ({ eval_time: '2m', alertname, exp_alerts });
    const tests = {
      rule_files: ['alerts.yml'],
      evaluation_interval: '15s',
      tests: [
        { interval: '15s', input_series: [...series('/partial', 0.95, 1.25), ...series('/storm', 0.7, 1.4)], alert_rule_test: [at('StormwatchErrorRegression', firing('StormwatchErrorRegression', '/partial', '0.95')), at('StormwatchRetryStorm', firing('StormwatchRetryStorm', '/storm', '0.7')), at('StormwatchOutage', [])] },
      ],
    };
    writeFileSync(join(dir, 'tests.yml'), stringify(tests, { lineWidth: 0 }));
    const r = await run('promtool', ['test', 'rules', join(dir, 'tests.yml')], { cwd: dir }).catch((e: { stdout?: string; stderr?: string }) => ({ stdout: `${e.stdout ?? ''}${e.stderr ?? ''}` }));
    expect(r.stdout).toContain('SUCCESS');
  });

  it('scrape sources: irate over four ticks, split by the same labels; promtool accepts both', async () => {
    const rules = exportRules(config('  scrape:\n    url: http://127.0.0.1:9100/metrics'));
    expect(byRecord(rules.groups[0]!.rules, 'stormwatch:requests:rate')).toBe('sum by (service, route)(irate(http_requests_total{job="api"}[60s]))');
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-rules-check-'));
    for (const [name, r] of [['scrape', rules], ['prom', exportRules(config('  prometheus:\n    url: http://127.0.0.1:9090\n    rateFunction: rate\n    rateWindow: 2m'))]] as const) {
      writeFileSync(join(dir, `${name}.yml`), stringify(r, { lineWidth: 0, aliasDuplicateObjects: false }));
      const check = await run('promtool', ['check', 'rules', join(dir, `${name}.yml`)]);
      expect(check.stdout).toContain('SUCCESS');
    }
  });

  it("keeps a split signal's own labels over fixed ones of the same name, a window of part of a second, and configured text literal: Prometheus's engine evaluates them (promtool test rules)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-rules-labels-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(
      file,
      `source:\n  prometheus:\n    url: http://127.0.0.1:9090\n    rateFunction: rate\n    rateWindow: 7500ms\nalerting:\n  labels: { team: crates-io, route: all }\nsignals:
  - name: api
    labels: { service: api }
    by: [service, route]
    requests: 'http_requests_total{job="api"}'
    alerting: { annotations: { note: 'read {{ $labels.route }} as it is: {{ broken' } }
`,
    );
    const { groups } = exportRules(loadConfig(file));
    const rules = groups[0]!.rules;
    expect(byRecord(rules, 'stormwatch:requests:rate')).toBe('sum by (service, route)(rate(http_requests_total{job="api"}[7s500ms]))');
    expect(rules.find((r) => r.record === 'stormwatch:requests:rate')!.labels).toEqual({ team: 'crates-io', signal: 'api' });
    writeFileSync(join(dir, 'rules.yml'), stringify({ groups }, { lineWidth: 0, aliasDuplicateObjects: false }));
    // Two services of one route: with the fixed labels over the series' own, both were one label
    // set and the recording rule failed at every evaluation.
    const input = (service: string, perScrape: number) => ({ series: `http_requests_total{job="api", service="${service}", route="/dl"}`, values: `0+${perScrape}x200` });
    const recorded = (service: string, perSecond: number) => ({ labels: `stormwatch:requests:rate{signal="api", team="crates-io", service="${service}", route="/dl"}`, value: perSecond });
    // A collapse of one service (10/s, none from 500 s) pages with its own labels and the note as written.
    const collapsing = { series: 'http_requests_total{job="api", service="c", route="/dl"}', values: '0+50x100 5000x100' };
    const note = 'read {{ $labels.route }} as it is: {{ broken';
    const tests = {
      rule_files: ['rules.yml'],
      evaluation_interval: '15s',
      tests: [
        {
          interval: '5s',
          input_series: [input('a', 50), input('b', 100), collapsing],
          promql_expr_test: [{ expr: 'stormwatch:requests:rate{service=~"a|b"}', eval_time: '5m', exp_samples: [recorded('a', 10), recorded('b', 20)] }],
          alert_rule_test: [
            {
              eval_time: '15m',
              alertname: 'StormwatchOutage',
              exp_alerts: [{ exp_labels: { signal: 'api', team: 'crates-io', service: 'c', route: '/dl', severity: 'critical' }, exp_annotations: { note, summary: 'api: traffic collapsed', description: expect.any(String) } }],
            },
          ],
        },
      ],
    };
    const outage = rules.find((r) => r.alert === 'StormwatchOutage')!;
    expect((outage.annotations as Record<string, string>).note).toBe('read {{ "{{" }} $labels.route }} as it is: {{ "{{" }} broken');
    // promtool compares the description too: the rule's, its value filled in (0: no requests).
    const description = (outage.annotations as Record<string, string>).description!.replace('{{ $value | printf "%.3g" }}', '0');
    tests.tests[0]!.alert_rule_test[0]!.exp_alerts[0]!.exp_annotations.description = description;
    writeFileSync(join(dir, 'tests.yml'), stringify(tests, { lineWidth: 0 }));
    const check = await run('promtool', ['check', 'rules', join(dir, 'rules.yml')]).catch((e: { stdout?: string; stderr?: string }) => ({ stdout: `${e.stdout ?? ''}${e.stderr ?? ''}` }));
    expect(check.stdout).toContain('SUCCESS');
    const r = await run('promtool', ['test', 'rules', join(dir, 'tests.yml')], { cwd: dir }).catch((e: { stdout?: string; stderr?: string }) => ({ stdout: `${e.stdout ?? ''}${e.stderr ?? ''}` }));
    expect(r.stdout, r.stdout).toContain('SUCCESS');
  });

  it("a signal's own detector parameters, `for`, `keepFiringFor` and annotations reach its rules; the others keep the config's", () => {
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-rules-overrides-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(
      file,
      `source:\n  scrape:\n    url: http://127.0.0.1:9100/metrics\nalerting:\n  for: 30s\nsignals:
  - name: plain
    requests: a_total
    errors: 'a_total{code="500"}'
  - name: tuned
    requests: b_total
    errors: 'b_total{code="500"}'
    detector: { spikeFactor: 3, minErrorRatioIncrease: 0.1, baselineWindow: 2h }
    alerting: { for: 2m, keepFiringFor: 5m, annotations: { runbook_url: 'https://runbooks.example/b' } }
`,
    );
    const { groups } = exportRules(loadConfig(file));
    const rulesOf = (name: string) => groups.find((g) => g.name === `stormwatch-${name}`)!.rules;
    const alertOf = (name: string, alert: string) => rulesOf(name).find((r) => r.alert === alert)!;
    expect(alertOf('plain', 'StormwatchOrganicSurge').expr).toMatch(/^stormwatch:amplification:ratio\{signal="plain"\} >= 1.5 /);
    expect(alertOf('tuned', 'StormwatchOrganicSurge').expr).toMatch(/^stormwatch:amplification:ratio\{signal="tuned"\} >= 3 /);
    expect(alertOf('tuned', 'StormwatchErrorRegression').expr).toContain('stormwatch:errors:baseline{signal="tuned"} + 0.1');
    expect(alertOf('plain', 'StormwatchErrorRegression').expr).toContain('stormwatch:errors:baseline{signal="plain"} + 0.02');
    expect(byRecord(rulesOf('tuned'), 'stormwatch:requests:baseline')).toContain('[2h:15s]');
    expect(byRecord(rulesOf('plain'), 'stormwatch:requests:baseline')).toContain('[1h:15s]');
    expect(alertOf('tuned', 'StormwatchRetryStorm')).toMatchObject({ for: '2m', keep_firing_for: '5m', annotations: { runbook_url: 'https://runbooks.example/b' } });
    expect(alertOf('plain', 'StormwatchRetryStorm')).toMatchObject({ for: '30s', keep_firing_for: '1m' });
    expect(alertOf('plain', 'StormwatchRetryStorm').annotations).not.toHaveProperty('runbook_url');
  });
});
