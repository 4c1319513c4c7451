// Storms of real cargo clients, recorded at 1 s by the end-to-end harness (fixtures/recorded/,
// README there), replayed through the whole pipeline at full speed: what a receiver would have
// held when each fault ended. Every clean recording of the session is here, not a chosen few.

import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withExtraRequests } from '../../scripts/recorded-om.js';
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

async function replay(file: string, omPath = join(DIR, file.replace(/\.json$/, '.om'))): Promise<AlertTransition[]> {
  const out: AlertTransition[] = [];
  await runBacktest({ ...config, source: { kind: 'replay', file: omPath } }, { logger: silentLogger, onTransition: (t) => out.push(t) });
  return out;
}

it('has recordings of both retry policies', () => {
  const policies = new Set(recordings.map((f) => (JSON.parse(readFileSync(join(DIR, f), 'utf8')) as Recording).cargo.retryPolicy));
  expect([...policies].sort()).toEqual(['current', 'legacy']);
});

const stormRecordings = recordings.filter((f) => !f.includes('closed-pool'));
const poolRecordings = recordings.filter((f) => f.includes('closed-pool'));

it('has recordings of closed pools as well as storms', () => {
  expect(poolRecordings.length).toBeGreaterThan(0);
  expect(stormRecordings.length).toBeGreaterThan(0);
});

function describePages(critical: AlertTransition[], onsetMs: number): string {
  return critical.map((t) => `+${((t.evaluatedAtMs - onsetMs) / 1000).toFixed(0)} s ${t.labels.alertname} ${t.annotations.client_model ?? '-'} ${t.annotations.attempts_per_request} (${t.annotations.attempts_per_request_low}-${t.annotations.attempts_per_request_high})`).join('; ');
}

describe.each(stormRecordings)('%s', (file) => {
  const rec = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as Recording;
  const onsetMs = Date.parse(rec.onset);
  const endMs = Date.parse(rec.faultEnd);
  const expected = rec.cargo.retryPolicy === 'current' ? 'cargo' : 'cargo-legacy';

  it(`pages StormwatchRetryStorm within 6 s of the onset, and at the fault's end names ${expected} with an interval holding the registry's attempts per request`, async () => {
    const critical = (await replay(file)).filter((t) => t.status === 'firing' && t.labels.severity === 'critical' && t.evaluatedAtMs <= endMs);
    const text = describePages(critical, onsetMs);
    expect(critical[0]?.labels.alertname, text).toBe('StormwatchRetryStorm');
    expect(critical[0]!.evaluatedAtMs - onsetMs, text).toBeLessThanOrEqual(6000);
    expect(critical[0]!.startsAtMs, text).toBeGreaterThanOrEqual(onsetMs - 1000);
    const held = critical.at(-1)!;
    expect(held.annotations.client_model, text).toBe(expected);
    expect(Number(held.annotations.attempts_per_request_low), text).toBeLessThanOrEqual(rec.truthAttemptsPerRequest);
    expect(Number(held.annotations.attempts_per_request_high), text).toBeGreaterThanOrEqual(rec.truthAttemptsPerRequest);
  });
});

describe.each(poolRecordings)('%s', (file) => {
  const rec = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as Recording;
  const onsetMs = Date.parse(rec.onset);
  const endMs = Date.parse(rec.faultEnd);

  it('pages StormwatchOutage within 6 s of the onset, never StormwatchRetryStorm, and names no client for a pool that stalled', async () => {
    const critical = (await replay(file)).filter((t) => t.status === 'firing' && t.labels.severity === 'critical' && t.evaluatedAtMs <= endMs);
    const text = describePages(critical, onsetMs);
    expect(critical[0]?.labels.alertname, text).toBe('StormwatchOutage');
    expect(critical[0]!.evaluatedAtMs - onsetMs, text).toBeLessThanOrEqual(6000);
    expect(critical[0]!.startsAtMs, text).toBeGreaterThanOrEqual(onsetMs - 1000);
    expect(critical.filter((t) => t.labels.alertname === 'StormwatchRetryStorm'), text).toEqual([]);
    expect(critical.at(-1)!.annotations.client_model, text).toBeUndefined();
  });
});

it('pages a closed pool StormwatchOutage when its in-flight retries lift its first failing ticks to 1.8x and 1.4x (as a live run did)', async () => {
  // One of the recorded pools with its first two failing scrapes raised by 6 requests each: the
  // counts a CI run's pool showed (19 requests on a 10.4/s baseline, then about 14) and a page of
  // the wrong kind 2.8 s after the onset, when a rise was read after two seconds of failure.
  const file = poolRecordings.at(-1)!;
  const rec = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as Recording;
  const onsetMs = Date.parse(rec.onset);
  const dir = mkdtempSync(join(tmpdir(), 'stormwatch-pool-'));
  try {
    const omPath = join(dir, 'pool.om');
    writeFileSync(omPath, withExtraRequests(readFileSync(join(DIR, file.replace(/\.json$/, '.om')), 'utf8'), onsetMs, [6, 6]));
    const critical = (await replay(file, omPath)).filter((t) => t.status === 'firing' && t.labels.severity === 'critical' && t.evaluatedAtMs <= Date.parse(rec.faultEnd));
    const text = describePages(critical, onsetMs);
    expect(critical[0]?.labels.alertname, text).toBe('StormwatchOutage');
    expect(critical[0]!.evaluatedAtMs - onsetMs, text).toBeLessThanOrEqual(6000);
    expect(critical.filter((t) => t.labels.alertname === 'StormwatchRetryStorm'), text).toEqual([]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
