import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Vitest's global setup: every test's temporary directory (mkdtemp under os.tmpdir(), in the test
// workers and in the binaries they start) goes under one root made for the run and removed with
// it, so a run leaves nothing in the machine's /tmp. Set STORMWATCH_KEEP_TEST_TMP=1 to keep it
// for a look after a failure (its path is printed). The screenshots ($STORMWATCH_SCREENSHOTS) are
// not under it.
const ROOT_ENV = 'STORMWATCH_TEST_TMP_ROOT';

export default function setup(): () => void {
  // Each project of the run calls this; the first one's root serves them all.
  if (process.env[ROOT_ENV] !== undefined) return () => {};
  // The screenshots are kept for people to look at: their default is the machine's temp directory.
  process.env.STORMWATCH_SCREENSHOTS ??= join(tmpdir(), 'stormwatch-screenshots');
  const root = mkdtempSync(join(tmpdir(), 'stormwatch-tests-'));
  process.env[ROOT_ENV] = root;
  // os.tmpdir() reads TMPDIR at every call, and the workers are forked with this environment.
  process.env.TMPDIR = root;
  return () => {
    if (process.env.STORMWATCH_KEEP_TEST_TMP === '1') {
      process.stderr.write(`test temporary files kept in ${root}\n`);
      return;
    }
    rmSync(root, { recursive: true, force: true });
  };
}
