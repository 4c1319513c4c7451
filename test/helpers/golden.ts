// Golden files: compare output with a committed file; UPDATE_GOLDEN=1 rewrites it.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { FIXTURES_DIR } from '../../src/core/paths.js';

export function expectGolden(name: string, actual: string): void {
  const file = join(FIXTURES_DIR, 'payloads', name);
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) {
    if (process.env.CI) throw new Error(`golden file ${name} is missing; run the tests with UPDATE_GOLDEN=1 and commit it`);
    writeFileSync(file, actual);
  }
  expect(actual).toBe(readFileSync(file, 'utf8'));
}
