// V8's optimising compiler inlines calls into a function until their bytecode adds up to a budget
// (`--max-inlined-bytecode-size-cumulative`, 920 bytes by default). The detectors' judging
// functions spend it early, so the small getters and helpers they call late (a baseline's median,
// a window's spread, the tails' surprises) stay calls, and each double they return is boxed: about
// a third of the step's garbage at 30k series. A budget of 3000 inlines them. Measured: 1113-1139
// MB allocated over 24 ticks at 30k series against 1654 MB; at 100k the step's CPU 0.74 s against
// 0.85 s (medians of six alternated processes). The longer compiles cost a short backtest about
// 5 % more CPU on V8's threads, its wall time the same (docs/performance-rounds.md).
//
// Imported first by pipeline.ts, so it runs before any detector is hot: the budget is read when a
// function is optimised, not at start-up, which is what makes setting it from a module work.

import { setFlagsFromString } from 'node:v8';

export const INLINING_BUDGET_FLAG = '--max-inlined-bytecode-size-cumulative';
export const INLINING_BUDGET_BYTES = 3000;

/** The flag to set, or undefined when the process was started with a budget of its own. */
export function inliningBudgetFlag(execArgv: readonly string[]): string | undefined {
  // V8 reads `_` and `-` in a flag's name alike.
  const given = execArgv.some((arg) => {
    const name = (arg.split('=', 1)[0] ?? '').replaceAll('_', '-');
    return name === INLINING_BUDGET_FLAG;
  });
  return given ? undefined : `${INLINING_BUDGET_FLAG}=${INLINING_BUDGET_BYTES}`;
}

const flag = inliningBudgetFlag(process.execArgv);
if (flag) setFlagsFromString(flag);
