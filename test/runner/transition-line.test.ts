import { describe, expect, it } from 'vitest';
import type { AlertTransition } from '../../src/core/types.js';
import { transitionLine } from '../../src/runner/transition-line.js';

const page: AlertTransition = { status: 'firing', labels: { alertname: 'StormwatchRetryStorm' }, annotations: { client_model: 'cargo-legacy' }, fingerprint: 'abc', startsAtMs: 0, evaluatedAtMs: 15_000 };

describe('transitionLine', () => {
  it('prints an update as a firing line of the same shape: same fingerprint and startsAt, its own evaluatedAt, new annotations, and its number', () => {
    const first = JSON.parse(transitionLine(page));
    const update = JSON.parse(transitionLine({ ...page, annotations: { client_model: 'cargo' }, evaluatedAtMs: 60_000, update: 1 }));
    expect(first.update).toBeUndefined();
    expect(update).toEqual({ ...first, annotations: { client_model: 'cargo' }, evaluatedAt: '1970-01-01T00:01:00.000Z', update: 1 });
  });
});
