import { describe, expect, it } from 'vitest';
import { packDetectors, unpackDetectors } from '../../src/runner/state-pack.js';
import { checkState } from '../../src/runner/state-schema.js';

const float32s = (n: number) => Array.from(new Float32Array(Array.from({ length: n }, (_, i) => Math.log(100 + i * 0.37))));

describe('packed baselines in saved state', () => {
  it('round-trips float32 values exactly and keeps the rest of the state as it was', () => {
    const detectors = { a: { rate: { values: float32s(60), partial: [1.5, 15, 2] }, errorRatio: { values: [] }, funnel: { values: float32s(3) }, checks: { spike: { small: 0.1 } } } };
    const packed = JSON.parse(JSON.stringify(packDetectors(detectors))) as Record<string, Record<string, Record<string, unknown>>>;
    expect(packed.a!.rate!.values).toBeUndefined();
    expect(typeof packed.a!.rate!.f32).toBe('string');
    // 60 values: 240 bytes as base64, against about 18 characters a value as JSON decimals.
    expect(String(packed.a!.rate!.f32).length).toBe(320);
    unpackDetectors(packed);
    expect(packed).toEqual(detectors);
  });

  it('leaves values that are not float32 as a plain array (nothing is rounded)', () => {
    const detectors = { a: { rate: { values: [0.99, 1] }, errorRatio: { values: [] }, funnel: { values: [] } } };
    expect(packDetectors(detectors)).toEqual(detectors);
  });

  it('a packed text that is not whole float32s fails the state check for that detector only', () => {
    const good = packDetectors({ ok: { rate: { values: float32s(2) }, errorRatio: { values: [] }, funnel: { values: [] } } });
    const json = JSON.parse(JSON.stringify({ version: 1, savedAtMs: 1, alerts: [], detectors: { ...good, broken: { rate: { f32: 'AAA' }, errorRatio: { values: [] }, funnel: { values: [] } } } })) as { detectors: unknown };
    unpackDetectors(json.detectors);
    const checked = checkState(json);
    expect(Object.keys(checked.snapshot!.detectors)).toEqual(['ok']);
    expect(checked.bad.map((b) => b.problem)).toEqual([expect.stringMatching(/^broken: rate.values/)]);
  });
});
