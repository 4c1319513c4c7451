import { describe, expect, it } from 'vitest';
import { SCORECARD_USAGE, parseScorecardOptions, wantsHelp } from '../../../scripts/scorecard/options.js';

describe('scorecard options', () => {
  it('defaults to the bundled scenarios alone', () => {
    expect(parseScorecardOptions([])).toEqual({ steps: undefined, seeds: 1, seedOffset: 0, scale: { traffic: 1, noise: 1 }, clientSeeds: 0, clientSeedOffset: 0, declared: undefined });
  });

  it('reads tick sizes, seeds from an offset, client seeds and declared clients', () => {
    const o = parseScorecardOptions(['--steps', '1,5,15', '--seeds', '5', '--seed-offset', '5', '--clients', '20', '--client-seed-offset', '40', '--declare', 'cargo,cargo-legacy', '--traffic', '0.25', '--noise', '3']);
    expect(o).toEqual({ steps: [1, 5, 15], seeds: 5, seedOffset: 5, scale: { traffic: 0.25, noise: 3 }, clientSeeds: 20, clientSeedOffset: 40, declared: ['cargo', 'cargo-legacy'] });
  });

  it.each([
    [['--seed-offset', 'x'], '--seed-offset must be a whole number >= 0, got "x"'],
    [['--seed-offset', '-1'], '--seed-offset must be a whole number >= 0, got "-1"'],
    [['--seeds', '0'], '--seeds must be a whole number >= 1, got "0"'],
    [['--seeds', '2.5'], '--seeds must be a whole number >= 1, got "2.5"'],
    [['--clients', ''], '--clients must be a whole number >= 1, got ""'],
    [['--steps', '1,x'], '--steps must be tick sizes in seconds, comma-separated, got "x" in "1,x"'],
    [['--steps', '15,0'], 'got "0" in "15,0"'],
    [['--seeds', '--steps', '1'], '--seeds needs a value'],
    [['--seeds'], '--seeds needs a value'],
    [['--traffic', '0'], "--traffic must be a positive number (a factor of each scenario's own), got \"0\""],
    [['--noise', 'x'], '--noise must be a positive number'],
    [['--traffic', 'Infinity'], '--traffic must be a positive number'],
    [['--step', '1'], 'scorecard: unknown option --step (--help lists them)'],
  ])('rejects %j naming the option', (argv, message) => {
    expect(() => parseScorecardOptions(argv)).toThrow(message);
  });
});

describe('scorecard --help', () => {
  it('is asked for by --help or -h, and the usage names every option the parser takes', () => {
    expect(wantsHelp(['--steps', '1', '--help'])).toBe(true);
    expect(wantsHelp(['-h'])).toBe(true);
    expect(wantsHelp(['--steps', '1'])).toBe(false);
    for (const option of ['--steps', '--seeds', '--seed-offset', '--traffic', '--noise', '--clients', '--client-seed-offset', '--declare']) {
      expect(SCORECARD_USAGE).toContain(option);
      expect(() => parseScorecardOptions([option, '1'])).not.toThrow(/unknown option/);
    }
  });
});
