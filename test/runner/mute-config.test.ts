import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { muteConfig } from '../../src/runner/mute-config.js';

function config(extra: string) {
  const file = join(mkdtempSync(join(tmpdir(), 'stormwatch-mute-config-')), 'c.yaml');
  writeFileSync(
    file,
    `source:\n  scrape:\n    url: http://127.0.0.1:9/metrics\ndetector:\n  timeZone: Europe/Berlin\n${extra}signals:\n  - name: web\n    requests: a_total\n  - name: ny\n    requests: b_total\n    detector: { timeZone: America/New_York }\n`,
  );
  return loadConfig(file);
}

describe('muteConfig', () => {
  it("mutes recurring surges by default, each read on its signal's zone", () => {
    const c = muteConfig(config(''), () => []);
    expect([...c.recurring!]).toEqual(['StormwatchOrganicSurge']);
    expect(c.timeZoneOf!({ signal: 'web' })).toBe('Europe/Berlin');
    expect(c.timeZoneOf!({ signal: 'ny' })).toBe('America/New_York');
    expect(c.timeZoneOf!({ alertname: 'StormwatchSmokeProbeFailed' })).toBeUndefined();
  });

  it('alerting.muteRecurring: false mutes no surge for recurring', () => {
    const c = muteConfig(config('alerting:\n  muteRecurring: false\n'), () => []);
    expect(c.recurring).toBeUndefined();
    expect(c.timeZoneOf).toBeUndefined();
  });
});
