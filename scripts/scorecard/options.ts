// The scorecard's command-line options, read before anything runs: a mistyped one fails at once
// with its name, not after minutes of backtests (or, worse, as NaN seeds that run nothing).

import type { SpecScale } from '../sim/scale.js';

export interface ScorecardOptions {
  /** Tick sizes to re-simulate every scenario at, in seconds (`--steps 1,5,15`); undefined: none. */
  steps: number[] | undefined;
  /** Seeds per scenario and tick size, from the `seedOffset`-th (seed + 7919·k). */
  seeds: number;
  seedOffset: number;
  /** The variants' demand relative to each scenario's own (`--traffic X`, `--noise X`). */
  scale: SpecScale;
  /** Seeds per client-truth case (`--clients N`; 0: not run), from the `clientSeedOffset`-th. */
  clientSeeds: number;
  clientSeedOffset: number;
  /** Clients the simulated signal declares (`--declare cargo,cargo-legacy`). */
  declared: string[] | undefined;
}

/** The value after `name` in `argv`, if the option is given. */
function valueOf(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  if (i < 0) return undefined;
  const v = argv[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`scorecard: ${name} needs a value`);
  return v;
}

/** A whole number of at least `min`, or `fallback` when the option is absent. */
function count(argv: readonly string[], name: string, fallback: number, min: number): number {
  const text = valueOf(argv, name);
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!(text.trim() !== '' && Number.isInteger(n) && n >= min)) throw new Error(`scorecard: ${name} must be a whole number >= ${min}, got ${JSON.stringify(text)}`);
  return n;
}

/** A positive finite number, or 1 when the option is absent. */
function factor(argv: readonly string[], name: string): number {
  const text = valueOf(argv, name);
  if (text === undefined) return 1;
  const x = Number(text);
  if (!(text.trim() !== '' && x > 0 && Number.isFinite(x))) throw new Error(`scorecard: ${name} must be a positive number (a factor of each scenario's own), got ${JSON.stringify(text)}`);
  return x;
}

/** What `npm run scorecard -- --help` prints. */
export const SCORECARD_USAGE = `usage: npm run scorecard -- [options]
  Backtests every bundled scenario against its labels; with --steps, re-simulates each at other
  tick sizes, seeds and demand; with --clients, scores the client named on full failures.
  --steps 1,5,15         tick sizes (seconds) to re-simulate every scenario at
  --seeds N              seeds per scenario and tick size (default 1)
  --seed-offset K        start at the K-th seed (seed + 7919*k), for seeds not looked at yet
  --traffic X            every scenario's demand times X
  --noise X              the demand wobble's sigma times X
  --clients N            seeds per client-truth case (0: not run)
  --client-seed-offset K start the client-truth seeds at the K-th
  --declare a,b          clients the simulated signal declares
`;

const OPTIONS = new Set(['--steps', '--seeds', '--seed-offset', '--traffic', '--noise', '--clients', '--client-seed-offset', '--declare']);

/** Whether the command line asks for the usage (then nothing runs). */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}

export function parseScorecardOptions(argv: readonly string[]): ScorecardOptions {
  // A mistyped option fails at once, naming it, rather than running every scenario without it.
  for (const a of argv) if (a.startsWith('-') && !OPTIONS.has(a) && !/^-?\d/.test(a.slice(1))) throw new Error(`scorecard: unknown option ${a} (--help lists them)`);
  const stepsText = valueOf(argv, '--steps');
  const steps = stepsText?.split(',').map((text) => {
    const s = Number(text);
    if (!(text.trim() !== '' && s > 0 && Number.isFinite(s))) throw new Error(`scorecard: --steps must be tick sizes in seconds, comma-separated, got ${JSON.stringify(text)} in ${JSON.stringify(stepsText)}`);
    return s;
  });
  const declared = valueOf(argv, '--declare')?.split(',');
  return {
    steps,
    seeds: count(argv, '--seeds', 1, 1),
    seedOffset: count(argv, '--seed-offset', 0, 0),
    scale: { traffic: factor(argv, '--traffic'), noise: factor(argv, '--noise') },
    clientSeeds: valueOf(argv, '--clients') === undefined ? 0 : count(argv, '--clients', 0, 1),
    clientSeedOffset: count(argv, '--client-seed-offset', 0, 0),
    declared,
  };
}
