import { describe, expect, it } from 'vitest';
import { type AlertState, INACTIVE, stepAlert } from '../../src/decisions/alert-state.js';

const HOLD = { forMs: 30_000, keepFiringForMs: 60_000 };

/** Runs a sequence of (time, active) evaluations; returns the phases and transitions seen. */
function run(steps: [number, boolean | undefined][], hold = HOLD) {
  let state: AlertState = INACTIVE;
  return steps.map(([t, active]) => {
    const step = stepAlert(state, active, t, hold);
    state = step.state;
    return `${state.phase}${step.transition ? `:${step.transition}` : ''}`;
  });
}

describe('stepAlert', () => {
  it.each([
    ['one noisy sample pages nobody', [[0, true], [15_000, false]], ['pending', 'inactive']],
    ['fires once active for `for`', [[0, true], [15_000, true], [30_000, true], [45_000, true]], ['pending', 'pending', 'firing:firing', 'firing']],
    // Last active at 60 s: resolves at 120 s, once keepFiringFor (60 s) has passed without it.
    ['holds firing through a short dip, then resolves', [[0, true], [30_000, true], [45_000, false], [60_000, true], [75_000, false], [105_000, false], [120_000, false], [135_000, false]], ['pending', 'firing:firing', 'firing', 'firing', 'firing', 'firing', 'inactive:resolved', 'inactive']],
    ['unknown changes nothing', [[0, true], [15_000, undefined], [30_000, true]], ['pending', 'pending', 'firing:firing']],
    ['a gap does not resolve', [[0, true], [30_000, true], [200_000, undefined]], ['pending', 'firing:firing', 'firing']],
  ] as [string, [number, boolean | undefined][], string[]][])('%s', (_, steps, expected) => {
    expect(run(steps)).toEqual(expected);
  });

  it('fires at once with for = 0 and resolves at once with keepFiringFor = 0', () => {
    expect(run([[0, true], [15_000, false]], { forMs: 0, keepFiringForMs: 0 })).toEqual(['firing:firing', 'inactive:resolved']);
  });

  it('keeps startsAt at the first active evaluation', () => {
    let state: AlertState = INACTIVE;
    for (const t of [10_000, 25_000, 40_000]) state = stepAlert(state, true, t, HOLD).state;
    expect(state).toEqual({ phase: 'firing', activeSinceMs: 10_000, lastActiveMs: 40_000 });
  });
});
