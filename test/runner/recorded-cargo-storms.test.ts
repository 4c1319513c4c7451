// Storms of real cargo clients, recorded at 1 s by the end-to-end harness (fixtures/recorded/,
// README there), replayed through the whole pipeline at full speed: what a receiver would have
// held when each fault ended. Every clean recording of the session is here, not a chosen few.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/core/log.js';
import { FIXTURES_DIR } from '../../src/core/paths.js';
import type { AlertTransition } from '../../src/core/types.js';
import { runBacktest } from '../../src/runner/backtest.js';

interface Recording {
  cargo: { label: string; version: string; retryPolicy: 'current' | 'legacy' };
  scenario: string;
  onset: string;
  faultEnd: string;
  truthAttemptsPerRequest: number;
}

const DIR = join(FIXTURES_DIR, 'recorded');
const recordings = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
const config = loadConfig(join(FIXTURES_DIR, 'configs', 'recorded-cargo.replay.yaml'));

async function replay(file: string): Promise<AlertTransition[]> {
  const out: AlertTransition[] = [];
  await runBacktest({ ...config, source: { kind: 'replay', file: join(DIR, file.replace(/\.json$/, '.om')) } }, { logger: silentLogger, onTransition: (t) => out.push(t) });
  return out;
}

it('has recordings of both retry policies', () => {
  const policies = new Set(recordings.map((f) => (JSON.parse(readFileSync(join(DIR, f), 'utf8')) as Recording).cargo.retryPolicy));
  expect([...policies].sort()).toEqual(['current', 'legacy']);
});

describe.each(recordings)('%s', (file) => {
  const rec = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as Recording;
  const onsetMs = Date.parse(rec.onset);
  const endMs = Date.parse(rec.faultEnd);
  const expected = rec.cargo.retryPolicy === 'current' ? 'cargo' : 'cargo-legacy';

  it(`pages StormwatchRetryStorm within 6 s of the onset, and at the fault's end names ${expected} with an interval holding the registry's attempts per request`, async () => {
    const critical = (await replay(file)).filter((t) => t.status === 'firing' && t.labels.severity === 'critical' && t.evaluatedAtMs <= endMs);
    const text = critical.map((t) => `+${((t.evaluatedAtMs - onsetMs) / 1000).toFixed(0)} s ${t.labels.alertname} ${t.annotations.client_model ?? '-'} ${t.annotations.attempts_per_request} (${t.annotations.attempts_per_request_low}-${t.annotations.attempts_per_request_high})`).join('; ');
    expect(critical[0]?.labels.alertname, text).toBe('StormwatchRetryStorm');
    expect(critical[0]!.evaluatedAtMs - onsetMs, text).toBeLessThanOrEqual(6000);
    expect(critical[0]!.startsAtMs, text).toBeGreaterThanOrEqual(onsetMs - 1000);
    const held = critical.at(-1)!;
    expect(held.annotations.client_model, text).toBe(expected);
    expect(Number(held.annotations.attempts_per_request_low), text).toBeLessThanOrEqual(rec.truthAttemptsPerRequest);
    expect(Number(held.annotations.attempts_per_request_high), text).toBeGreaterThanOrEqual(rec.truthAttemptsPerRequest);
  });
});
