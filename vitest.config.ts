import { availableParallelism } from 'node:os';
import { configDefaults, defineConfig } from 'vitest/config';

// The real-cargo storms measure detection delays in wall-clock seconds: they run after everything
// else (sequence.groupOrder), alone, so no other test's load shifts them.
const CARGO_STORMS = 'test/e2e/cargo-storm.test.ts';

export default defineConfig({
  test: {
    // End-to-end tests start real Prometheus binaries; give them room on 2 cores.
    testTimeout: 20_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Every temporary directory of the run under one root, removed at the end (test/helpers/temp-root.ts).
    globalSetup: ['test/helpers/temp-root.ts'],
    // Vitest's default is one worker less than the cores: a single worker on the 2-core CI, where
    // the whole suite then ran one file at a time. Most files wait on real binaries' scrapes,
    // timers and deploy windows rather than compute, so two at a time on 2 cores is what
    // makes the suite fit its time (the cargo storms still run alone, after everything else).
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // `vitest run --project unit` is the fast set (no external binaries): npm run test:fast.
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, 'test/e2e/**'], sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], exclude: [...configDefaults.exclude, CARGO_STORMS], sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'cargo-storms', include: [CARGO_STORMS], sequence: { groupOrder: 1 } } },
    ],
  },
});
