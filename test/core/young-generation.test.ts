import { describe, expect, it } from 'vitest';
import { LARGE_FLEET_SEMI_SPACE_MB, LARGE_FLEET_SERIES, givenSemiSpaceMb, youngGenerationHint } from '../../src/core/young-generation.js';

describe('givenSemiSpaceMb', () => {
  it('reads the size from node command line or NODE_OPTIONS, the command line winning', () => {
    expect(givenSemiSpaceMb([], undefined)).toBeUndefined();
    expect(givenSemiSpaceMb(['--expose-gc', '--max-old-space-size=4096'], '--enable-source-maps')).toBeUndefined();
    expect(givenSemiSpaceMb([], '--enable-source-maps --max-semi-space-size=32')).toBe(32);
    expect(givenSemiSpaceMb(['--max_semi_space_size=128'], undefined)).toBe(128);
    expect(givenSemiSpaceMb(['--max-semi-space-size=16'], '--max-semi-space-size=64')).toBe(16);
  });

  it('ignores a size that is not a number', () => {
    expect(givenSemiSpaceMb(['--max-semi-space-size=big'], undefined)).toBeUndefined();
    expect(givenSemiSpaceMb(['--max-semi-space-size'], undefined)).toBeUndefined();
  });
});

describe('youngGenerationHint', () => {
  it('names the flag for a large scrape fleet started with the default young generation', () => {
    const hint = youngGenerationHint('scrape', LARGE_FLEET_SERIES, undefined);
    expect(hint?.message).toContain(`--max-semi-space-size=${LARGE_FLEET_SEMI_SPACE_MB}`);
    expect(hint?.fields).toEqual({ series: LARGE_FLEET_SERIES, nodeOptions: `--max-semi-space-size=${LARGE_FLEET_SEMI_SPACE_MB}` });
  });

  it('says nothing to a small fleet, a Prometheus source, nor a process given a size of its own (even the default)', () => {
    expect(youngGenerationHint('scrape', LARGE_FLEET_SERIES - 1, undefined)).toBeUndefined();
    expect(youngGenerationHint('prometheus', 100_000, undefined)).toBeUndefined();
    expect(youngGenerationHint('scrape', 100_000, 16)).toBeUndefined();
  });
});
