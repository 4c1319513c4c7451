// Checks that a performance change changed no decision: runs `stormwatch backtest` (transitions on
// stdout, and every series' score per tick with --scores) over every bundled scenario with two
// builds, and compares the outputs byte for byte.
//
//   node dist/bench/backtest-identity.js OTHER_ROOT [EXTRA_CONFIG...]
//
// OTHER_ROOT is another checkout with its own `dist/` (e.g. main's, built); this checkout is the
// other side. Each EXTRA_CONFIG (a replay config such as the bench's split day) is run too.
// Exits 1 when any output differs.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FIXTURES_DIR, PACKAGE_ROOT } from '../src/core/paths.js';

const [otherRoot, ...extraConfigs] = process.argv.slice(2);
if (!otherRoot) {
  process.stderr.write('usage: node dist/bench/backtest-identity.js OTHER_ROOT [EXTRA_CONFIG...]\n');
  process.exit(2);
}

const scenarios = join(FIXTURES_DIR, 'scenarios');
const config = join(FIXTURES_DIR, 'configs', 'crates-2023-07-20.replay.yaml');
const runs: { name: string; args: string[] }[] = [
  ...readdirSync(scenarios)
    .filter((f) => f.endsWith('.om') || f.endsWith('.om.gz'))
    .sort()
    .map((f) => ({ name: f, args: ['--config', config, '--input', join(scenarios, f)] })),
  ...extraConfigs.map((c, i) => ({ name: `config ${i + 1} (${c})`, args: ['--config', resolve(c)] })),
];

/** The transitions and the scores CSV of one backtest with the build under `root`. */
function outputs(root: string, args: string[], dir: string): { transitions: Buffer; scores: Buffer } {
  const scores = join(dir, 'scores.csv');
  const transitions = execFileSync(process.execPath, [join(root, 'dist', 'src', 'cli.js'), 'backtest', ...args, '--scores', scores], { maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] });
  return { transitions, scores: readFileSync(scores) };
}

/** Rows of two CSV outputs that differ, row by row (a missing row counts as differing). */
function differingRows(a: Buffer, b: Buffer): number {
  const x = a.toString('utf8').split('\n');
  const y = b.toString('utf8').split('\n');
  let n = 0;
  for (let i = 0; i < Math.max(x.length, y.length); i++) if (x[i] !== y[i]) n++;
  return n;
}

const dir = mkdtempSync(join(tmpdir(), 'stormwatch-identity-'));
let differ = 0;
try {
  for (const run of runs) {
    const ours = outputs(PACKAGE_ROOT, run.args, dir);
    const theirs = outputs(resolve(otherRoot), run.args, dir);
    const sameTransitions = ours.transitions.equals(theirs.transitions);
    const same = sameTransitions && ours.scores.equals(theirs.scores);
    if (!same) differ++;
    const lines = ours.transitions.toString('utf8').split('\n').filter((l) => l.startsWith('{')).length;
    // What differs: a change to the score alone leaves every transition as it was.
    const what = same ? '' : ` (transitions ${sameTransitions ? 'identical' : 'DIFFERENT'}, ${differingRows(ours.scores, theirs.scores)} score rows differ)`;
    process.stdout.write(`${same ? 'identical' : 'DIFFERENT'}  ${run.name}: ${lines} transitions, scores ${ours.scores.length} bytes${what}\n`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.stdout.write(`${runs.length - differ} of ${runs.length} identical\n`);
process.exit(differ > 0 ? 1 : 0);
