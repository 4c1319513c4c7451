// examples/config/stormwatch.yaml: it lints clean without its secrets, its modeline points at the
// shipped JSON Schema, and it says what it shows.

import { readFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { PACKAGE_ROOT } from '../../src/core/paths.js';
import { SCHEMA_FILE } from '../../src/config/json-schema.js';

const file = join(PACKAGE_ROOT, 'examples', 'config', 'stormwatch.yaml');

describe('examples/config/stormwatch.yaml', () => {
  it('lints clean without its secrets, with a 45s interval, overrides, a window and the inhibition rule', () => {
    const config = loadConfig(file, { lint: true });
    expect(config.intervalMs).toBe(45_000);
    expect(config.signals.map((s) => [s.name, s.forMs, s.annotations?.runbook_url, s.detector?.falseAlarmsPerYear])).toEqual([
      ['checkout', 60_000, 'https://runbooks.example/checkout', undefined],
      ['search', undefined, undefined, 0.05],
    ]);
    expect(config.maintenanceWindows.map((w) => w.name)).toEqual(['search-reindex']);
    expect(config.inhibitRules).toHaveLength(1);
  });

  it('its yaml-language-server modeline points at the shipped schema', () => {
    const first = readFileSync(file, 'utf8').split('\n')[0]!;
    const m = /^# yaml-language-server: \$schema=(.+)$/.exec(first);
    expect(m).not.toBeNull();
    expect(resolve(dirname(file), m![1]!)).toBe(join(PACKAGE_ROOT, SCHEMA_FILE));
  });
});
