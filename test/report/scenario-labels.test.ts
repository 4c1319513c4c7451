// The labels a report measures delays from: a bundled scenario's description, a recording's, or none.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES_DIR } from '../../src/core/paths.js';
import { labelsBeside } from '../../src/report/scenario-labels.js';
import { scenarioFile } from '../helpers/scenarios.js';

describe('labelsBeside', () => {
  it('reads a bundled scenario\'s faults and deploys', () => {
    const labels = labelsBeside(scenarioFile('crates-2023-07-20-broken-redirect'))!;
    expect(labels.faults).toHaveLength(1);
    expect(labels.deploysMs.length).toBeGreaterThan(0);
  });

  it('reads a recording of real clients: its one fault from its onset to its end', () => {
    const labels = labelsBeside(join(FIXTURES_DIR, 'recorded', 'cargo-1.95-closed-pool-1.om'))!;
    expect(labels.faults).toEqual([{ kind: 'redirect-onion', startsAtMs: Date.parse('2026-11-30T11:32:50.027Z'), endsAtMs: Date.parse('2026-11-30T11:33:05.027Z') }]);
    expect(labels.name).toBe('cargo-1_95-closed-pool-0');
  });

  it('is no labels for a JSON file beside the data that labels nothing, or for none', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-labels-'));
    writeFileSync(join(dir, 'data.json'), '{"note": "exported by hand"}');
    expect(labelsBeside(join(dir, 'data.om'))).toBeUndefined();
    expect(labelsBeside(join(dir, 'other.om'))).toBeUndefined();
  });
});
