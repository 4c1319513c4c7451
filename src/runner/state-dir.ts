// The state directory (delivery.outboxDir) must exist and be writable before anything runs: in a
// pod the config sits on a read-only ConfigMap mount, so a relative default lands there. Fail at
// start with one line that says what to change, not with a stack trace at the first save.

import { accessSync, constants } from 'node:fs';
import { StartupError } from '../core/errors.js';
import { makeDirs } from '../core/make-dirs.js';

export function ensureStateDir(dir: string): void {
  try {
    makeDirs(dir);
    accessSync(dir, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new StartupError(
      `cannot use state directory ${dir} (delivery.outboxDir): ${code}; point delivery.outboxDir at a writable directory, such as a mounted volume (/var/lib/stormwatch in the container image)`,
    );
  }
}
