import { describe, expect, it } from 'vitest';
import { MAX_NAMES, MAX_TABLED_LENGTH, MAX_VALUES, MAX_VALUES_PER_NAME, SharedLabelValues } from '../../src/source/shared-label-values.js';

describe('SharedLabelValues', () => {
  it('tables each value of a name once, and hands back equal strings', () => {
    const shared = new SharedLabelValues();
    for (const code of ['200', '500', '200', '200', '500']) expect(shared.share('code', code)).toBe(code);
    expect(shared.share('method', 'GET')).toBe('GET');
    expect(shared.share('path', '')).toBe('');
    expect(shared.share('city', 'Zürich ✓')).toBe('Zürich ✓');
    expect(shared.size('code')).toBe(2);
    expect(shared.size('method')).toBe(1);
    expect(shared.size()).toBe(5);
  });

  it('stops tabling a name past its share of distinct values, and goes on answering right', () => {
    const shared = new SharedLabelValues();
    shared.share('code', '200');
    for (let i = 0; i < MAX_VALUES_PER_NAME; i++) shared.share('route', `/r${i}`);
    expect(shared.size('route')).toBe(MAX_VALUES_PER_NAME);
    expect(shared.untabled('route')).toBe(false);
    expect(shared.share('route', `/r${MAX_VALUES_PER_NAME}`)).toBe(`/r${MAX_VALUES_PER_NAME}`);
    expect(shared.untabled('route')).toBe(true);
    // Its table let go: only the other names' values count.
    expect(shared.size('route')).toBe(0);
    expect(shared.size()).toBe(1);
    for (const route of ['/r7', '/r7', '/new', '/r0']) expect(shared.share('route', route)).toBe(route);
    expect(shared.size()).toBe(1);
  });

  it('tables at most MAX_VALUES values over every name, then copies new ones without keeping them', () => {
    const shared = new SharedLabelValues();
    const names = Math.ceil(MAX_VALUES / (MAX_VALUES_PER_NAME - 1));
    for (let n = 0; n < names; n++) for (let i = 0; i < MAX_VALUES_PER_NAME - 1; i++) shared.share(`l${n}`, `v${i}`);
    expect(shared.size()).toBe(MAX_VALUES);
    expect(shared.share('l0', 'v-new')).toBe('v-new');
    expect(shared.share('late', 'x')).toBe('x');
    expect(shared.size()).toBe(MAX_VALUES);
    expect(shared.untabled('late')).toBe(true);
    // Values tabled before the limit are still shared.
    expect(shared.share('l1', 'v3')).toBe('v3');
  });

  it('follows at most MAX_NAMES label names: values of later names are copied, not kept', () => {
    const shared = new SharedLabelValues();
    for (let n = 0; n < MAX_NAMES; n++) shared.share(`id_${n}`, 'x');
    expect(shared.size()).toBe(MAX_NAMES);
    expect(shared.share(`id_${MAX_NAMES}`, 'y')).toBe('y');
    expect(shared.size(`id_${MAX_NAMES}`)).toBe(0);
    expect(shared.size()).toBe(MAX_NAMES);
  });

  it('never tables a value longer than MAX_TABLED_LENGTH (a table outlives the sets that brought its values)', () => {
    const shared = new SharedLabelValues();
    const long = 'x'.repeat(MAX_TABLED_LENGTH + 1);
    expect(shared.share('path', long)).toBe(long);
    expect(shared.share('path', long)).toBe(long);
    expect(shared.size('path')).toBe(0);
    expect(shared.share('path', 'x'.repeat(MAX_TABLED_LENGTH))).toBe('x'.repeat(MAX_TABLED_LENGTH));
    expect(shared.size('path')).toBe(1);
  });
});
