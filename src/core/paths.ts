// Where stormwatch's bundled data (models/, alerts/, fixtures/) lives, from source or from dist/.

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'models'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find stormwatch's package root above ${start}`);
    dir = parent;
  }
}

export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));
export const MODELS_DIR = join(PACKAGE_ROOT, 'models');
export const ALERTS_DIR = join(PACKAGE_ROOT, 'alerts');
export const FIXTURES_DIR = join(PACKAGE_ROOT, 'fixtures');
