// Broken-redirect storms of real cargo clients recorded at 1 s over several arrival seeds
// (fixtures/recorded-seeds/, README there), replayed through the whole pipeline: what a receiver
// held when each fault ended. Every recording of those runs is here. At a dozen requests a second
// cargo 1.65's 4-crate builds (2.8 attempts per request) storm beside cargo 1.95's plateau
// (3.0-3.25), and a seed whose demand rises during the fault reads at it: the message may name
// either, but must not leave the true client out, and its interval must hold the registry's count.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/core/log.js';
import { FIXTURES_DIR } from '../../src/core/paths.js';
import type { AlertTransition } from '../../src/core/types.js';
import { runBacktest } from '../../src/runner/backtest.js';

interface Recording {
  cargo: { label: string; retryPolicy: 'current' | 'legacy' };
  seed: number;
  onset: string;
  faultEnd: string;
  truthAttemptsPerRequest: number;
}

const DIR = join(FIXTURES_DIR, 'recorded-seeds');
const recordings = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
const config = loadConfig(join(FIXTURES_DIR, 'configs', 'recorded-cargo.replay.yaml'));

it('has storms of both retry policies over several arrival seeds', () => {
  const recs = recordings.map((f) => JSON.parse(readFileSync(join(DIR, f), 'utf8')) as Recording);
  expect(new Set(recs.map((r) => r.cargo.retryPolicy))).toEqual(new Set(['current', 'legacy']));
  expect(new Set(recs.map((r) => r.seed)).size).toBeGreaterThan(5);
});

describe.each(recordings)('%s', (file) => {
  const rec = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as Recording;
  const client = rec.cargo.retryPolicy === 'current' ? 'cargo' : 'cargo-legacy';

  it(`ends naming ${client}${client === 'cargo-legacy' ? ' or listing it as fitting' : ''}, its interval holding the registry's attempts per request, and no message reads a tick without requests as a reading no client fits`, async () => {
    const out: AlertTransition[] = [];
    await runBacktest({ ...config, source: { kind: 'replay', file: join(DIR, file.replace(/\.json$/, '.om')) } }, { logger: silentLogger, onTransition: (t) => out.push(t) });
    const endMs = Date.parse(rec.faultEnd);
    const onsetMs = Date.parse(rec.onset);
    const messages = out.filter((t) => t.status === 'firing' && t.labels.severity === 'critical' && t.evaluatedAtMs <= endMs);
    const text = messages.map((t) => `+${((t.evaluatedAtMs - onsetMs) / 1000).toFixed(0)} s ${t.labels.alertname} ${t.annotations.client_model ?? '-'} [${t.annotations.client_models_fitting ?? ''}] ${t.annotations.attempts_per_request} (${t.annotations.attempts_per_request_low}-${t.annotations.attempts_per_request_high}); truth ${rec.truthAttemptsPerRequest.toFixed(2)}`).join('; ');
    const held = messages.at(-1)?.annotations;
    expect(held, text).toBeDefined();
    if (client === 'cargo') expect(held!.client_model, text).toBe('cargo');
    else expect([held!.client_model, ...(held!.client_models_fitting ?? '').split(',')], text).toContain('cargo-legacy');
    expect(Number(held!.attempts_per_request_low), text).toBeLessThanOrEqual(rec.truthAttemptsPerRequest);
    expect(Number(held!.attempts_per_request_high), text).toBeGreaterThanOrEqual(rec.truthAttemptsPerRequest);
    // Every attempt fails throughout: a reading that fits no client came from a tick nobody could read.
    expect(messages.filter((t) => t.annotations.client_model_note?.includes('fits no client model')), text).toEqual([]);
  });
});
