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
    // `vitest run --project unit` is the fast set (no external binaries): npm run test:fast.
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, 'test/e2e/**'], sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], exclude: [...configDefaults.exclude, CARGO_STORMS], sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'cargo-storms', include: [CARGO_STORMS], sequence: { groupOrder: 1 } } },
    ],
  },
});
