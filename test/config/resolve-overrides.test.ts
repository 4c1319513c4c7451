import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBundledModels, loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/core/errors.js';

function writeConfig(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'stormwatch-overrides-')), 'config.yaml');
  writeFileSync(file, text);
  return file;
}
const head = 'source:\n  scrape:\n    url: http://127.0.0.1:9/metrics\ndetector:\n  spikeFactor: 4\nalerting:\n  for: 30s\n';

describe('per-signal overrides', () => {
  it('a signal detector starts from the top-level detector, or from its own preset, with its parameters changed', () => {
    const { presets } = loadBundledModels();
    const config = loadConfig(
      writeConfig(`${head}signals:
  - name: plain
    requests: a_total
  - name: tuned
    requests: b_total
    detector: { falseAlarmsPerYear: 0.01 }
    alerting: { for: 2m, classifyWithin: 45s, annotations: { runbook_url: 'https://runbooks.example/b' } }
  - name: preset
    requests: c_total
    detector: { preset: default, baselineWindow: 2h }
`),
    );
    const [plain, tuned, preset] = config.signals;
    expect(plain!.detector).toBeUndefined();
    expect(plain!.forMs).toBeUndefined();
    expect(tuned!.detector).toEqual({ ...config.detector, falseAlarmsPerYear: 0.01 });
    expect(tuned!.detector!.spikeFactor).toBe(4);
    expect(tuned).toMatchObject({ forMs: 120_000, classifyWithinMs: 45_000, annotations: { runbook_url: 'https://runbooks.example/b' } });
    // From the preset, not the top-level detector: spikeFactor is the preset's.
    expect(preset!.detector).toEqual({ ...presets.default!, baselineWindowMs: 7_200_000 });
  });

  it('names the place of a bad override', () => {
    const file = writeConfig(`${head}signals:
  - name: x
    requests: a_total
    detector: { preset: nope, spikeFactor: 0.5 }
    alerting: { annotations: { 'runbook url': x } }
`);
    expect(() => loadConfig(file)).toThrow(ConfigError);
    try {
      loadConfig(file);
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([
        'signals[0].detector.spikeFactor: Too small: expected number to be >1 (line 11)',
        'signals[0].alerting.annotations.runbook url: expected an annotation name like runbook_url (line 12)',
      ]);
    }
    const unknownPreset = writeConfig(`${head}signals:\n  - name: x\n    requests: a_total\n    detector: { preset: nope }\n`);
    expect(() => loadConfig(unknownPreset)).toThrow(/signals\[0\]\.detector\.preset: unknown preset "nope"; known: /);
  });
});

/** A config whose detector sets `key` to `configWide`, with a plain signal, one naming a preset and one setting `key` to `own`. */
function configSetting(key: string, configWide: string, own: string) {
  return loadConfig(
    writeConfig(`source:\n  scrape:\n    url: http://127.0.0.1:9/metrics\ndetector:\n  ${key}: ${configWide}\nsignals:
  - name: plain
    requests: a_total
  - name: preset
    requests: b_total
    detector: { preset: sensitive }
  - name: own
    requests: c_total
    detector: { ${key}: ${own} }
`),
  );
}

describe('time zones', () => {
  const base = 'source:\n  scrape:\n    url: http://127.0.0.1:9/metrics\n';

  it("the config's zone reaches every signal, also one naming a preset; a signal may keep its own", () => {
    const config = configSetting('timeZone', 'Europe/Berlin', 'America/New_York');
    expect(config.detector.timeZone).toBe('Europe/Berlin');
    const [plain, preset, own] = config.signals;
    expect(plain!.detector).toBeUndefined();
    expect(preset!.detector!.timeZone).toBe('Europe/Berlin');
    expect(own!.detector!.timeZone).toBe('America/New_York');
    expect(loadConfig(writeConfig(`${base}signals:\n  - name: x\n    requests: a_total\n`)).detector.timeZone).toBeUndefined();
  });

  it('names the place of a zone the runtime does not know', () => {
    const file = writeConfig(`${base}detector:\n  timeZone: Europe/Berlni\nsignals:\n  - name: x\n    requests: a_total\n    detector: { timeZone: 2 }\n`);
    try {
      loadConfig(file);
      expect.unreachable('loaded');
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([
        'detector.timeZone: unknown time zone "Europe/Berlni"; expected an IANA name like UTC, Europe/Berlin or America/New_York (line 5)',
        'signals[0].detector.timeZone: expected a time zone name like Europe/Berlin (line 9)',
      ]);
    }
  });
});

describe('holding error bursts', () => {
  const base = 'source:\n  scrape:\n    url: http://127.0.0.1:9/metrics\n';

  it("is on unless turned off; the config's choice reaches a signal naming a preset, and a signal may make its own", () => {
    expect(loadConfig(writeConfig(`${base}signals:\n  - name: x\n    requests: a_total\n`)).detector.holdErrorBursts).toBeUndefined();
    const config = configSetting('holdErrorBursts', 'false', 'true');
    expect(config.detector.holdErrorBursts).toBe(false);
    const [, preset, own] = config.signals;
    expect(preset!.detector!.holdErrorBursts).toBe(false);
    expect(own!.detector!.holdErrorBursts).toBe(true);
  });

  it('names the place of a value that is not true or false', () => {
    try {
      loadConfig(writeConfig(`${base}signals:\n  - name: x\n    requests: a_total\n    detector: { holdErrorBursts: sometimes }\n`));
      expect.unreachable('loaded');
    } catch (error) {
      expect((error as ConfigError).problems).toEqual(['signals[0].detector.holdErrorBursts: expected true or false, got text (line 7)']);
    }
  });
});

describe('maintenance windows and inhibition rules', () => {
  it('default: one rule, a DeployRegression inhibits the incident alerts of its service; [] turns it off', () => {
    const base = `source:\n  scrape:\n    url: http://127.0.0.1:9/metrics\nsignals:\n  - name: x\n    requests: a_total\n`;
    const config = loadConfig(writeConfig(base));
    expect(config.inhibitRules.map((r) => [r.sourceMatchers.map((m) => `${m.name}${m.type}${m.value}`), r.targetMatchers.map((m) => `${m.name}${m.type}${m.value}`), r.equal])).toEqual([
      [['alertname=StormwatchDeployRegression'], ['alertname=~StormwatchRetryStorm|StormwatchOutage|StormwatchErrorRegression'], ['service']],
    ]);
    expect(loadConfig(writeConfig(`${base}inhibitRules: []\n`)).inhibitRules).toEqual([]);
  });

  it('reads one-off and weekly windows, and names every problem', () => {
    const base = `source:\n  scrape:\n    url: http://127.0.0.1:9/metrics\nsignals:\n  - name: x\n    requests: a_total\n`;
    const config = loadConfig(
      writeConfig(`${base}maintenanceWindows:
  - name: cdn-move
    matchers: ['service="crates-io"']
    start: 2026-12-01T22:00:00Z
    end: 2026-12-01T23:00:00Z
  - name: vacuum
    matchers: ['service="db"']
    weekdays: [saturday, sunday]
    time: "23:30"
    duration: 2h
`),
    );
    expect(config.maintenanceWindows.map(({ matchers: _m, ...w }) => w)).toEqual([
      { name: 'cdn-move', once: { startMs: Date.parse('2026-12-01T22:00:00Z'), endMs: Date.parse('2026-12-01T23:00:00Z') } },
      { name: 'vacuum', weekly: { weekdays: ['saturday', 'sunday'], startMinute: 23 * 60 + 30, durationMs: 7_200_000 } },
    ]);
    const bad = writeConfig(`${base}maintenanceWindows:
  - name: a
    matchers: ['service=crates io']
    start: 2026-12-01T22:00:00Z
  - name: b
    matchers: ['x="y"']
    weekdays: [someday]
    time: "25:00"
    duration: 1h
`);
    try {
      loadConfig(bad);
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([
        'maintenanceWindows[0]: a one-off window needs both start and end (line 8)',
        'maintenanceWindows[1].weekdays[0]: expected a weekday in English, lower case: monday ... sunday (line 13)',
        'maintenanceWindows[1].time: expected a time of day like 22:30 (line 14)',
      ]);
    }
  });
});
