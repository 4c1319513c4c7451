// The state directory (delivery.outboxDir) must exist and be writable before anything runs: in a
// pod the config sits on a read-only ConfigMap mount, so a relative default lands there. Fail at
// start with one line that says what to change, not with a stack trace at the first save. The
// line names what the user set: the key, or --state-dir when the flag gave the directory.

import { accessSync, constants } from 'node:fs';
import { StartupError } from '../core/errors.js';
import { makeDirs } from '../core/make-dirs.js';

export const OUTBOX_DIR_KEY = 'delivery.outboxDir';

export function ensureStateDir(dir: string, setting = OUTBOX_DIR_KEY): void {
  try {
    makeDirs(dir);
    accessSync(dir, constants.W_OK);
  } catch (error) {
    const raw = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    // EEXIST from mkdir: the path is there, as a file; ENOTDIR: a directory above it is a file.
    const code = raw === 'EEXIST' ? 'EEXIST (it is a file, not a directory)' : raw === 'ENOTDIR' ? 'ENOTDIR (a part of the path is a file)' : raw;
    throw new StartupError(
      `cannot use state directory ${dir} (${setting}): ${code}; point ${setting} at a writable directory, such as a mounted volume (/var/lib/stormwatch in the container image)`,
    );
  }
}
