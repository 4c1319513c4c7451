import { describe, expect, it } from 'vitest';
import { durationField } from '../../src/config/duration-schema.js';

const problemOf = (value: unknown) => durationField.safeParse(value).error?.issues.map((issue) => issue.message);

describe('durationField', () => {
  it('reads durations with units, and a bare 0', () => {
    expect(durationField.parse('1m30s')).toBe(90_000);
    expect(durationField.parse(0)).toBe(0);
  });

  it('says what a bare number got and suggests it with a unit', () => {
    expect(problemOf(5)).toEqual(['expected a duration like 15s, 1m or 1h, got the number 5; give a duration with a unit like "5s"']);
    expect(problemOf('30')).toEqual(['expected a duration like 15s, 1m or 1h, got "30"; give a duration with a unit like "30s"']);
  });

  it('suggests nothing that would be refused too: a negative count, a fraction (some keys take whole seconds)', () => {
    expect(problemOf(-5)).toEqual(['expected a duration like 15s, 1m or 1h, got the number -5']);
    expect(problemOf(0.5)).toEqual(['expected a duration like 15s, 1m or 1h, got the number 0.5']);
    expect(problemOf('1.5')).toEqual(['expected a duration like 15s, 1m or 1h, got "1.5"']);
  });

  it('says what any other value got', () => {
    expect(problemOf(true)).toEqual(['expected a duration like 15s, 1m or 1h, got the boolean true']);
    expect(problemOf('soon')).toEqual(['expected a duration like 15s, 1m or 1h, got "soon"']);
  });
});
