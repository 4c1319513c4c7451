import { describe, expect, it } from 'vitest';
import { INLINING_BUDGET_BYTES, inliningBudgetFlag } from '../../src/core/inlining-budget.js';

describe('inliningBudgetFlag', () => {
  it('raises the budget when the process was started without one', () => {
    expect(inliningBudgetFlag([])).toBe(`--max-inlined-bytecode-size-cumulative=${INLINING_BUDGET_BYTES}`);
    expect(inliningBudgetFlag(['--expose-gc', '--max-old-space-size=4096'])).toBe(`--max-inlined-bytecode-size-cumulative=${INLINING_BUDGET_BYTES}`);
  });

  it("leaves a budget given on node's command line alone, however it is spelt", () => {
    expect(inliningBudgetFlag(['--max-inlined-bytecode-size-cumulative=500'])).toBeUndefined();
    expect(inliningBudgetFlag(['--max_inlined_bytecode_size_cumulative=500'])).toBeUndefined();
    expect(inliningBudgetFlag(['--max-inlined-bytecode-size-cumulative', '500'])).toBeUndefined();
  });

  it('does not take a neighbouring flag for the budget', () => {
    expect(inliningBudgetFlag(['--max-inlined-bytecode-size=460'])).toBeDefined();
  });
});
