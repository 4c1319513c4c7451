import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS, commandHelp } from '../../src/cli/commands.js';
import { PACKAGE_ROOT } from '../../src/core/paths.js';

// A flag the parser accepts but the help leaves out is one nobody finds.
const names = (text: string, flag: string) => new RegExp(`(^|[^\\w-])${flag}(?![\\w-])`).test(text);

describe('command help', () => {
  for (const spec of COMMANDS) {
    const accepted = Object.entries(spec.options).filter(([name]) => name !== 'help');

    it(`${spec.name}: every flag the parser accepts is in the synopsis`, () => {
      const missing = accepted.filter(([name]) => !names(spec.usage, `--${name}`)).map(([name]) => `--${name}`);
      expect(missing).toEqual([]);
    });

    it(`${spec.name}: every flag the parser accepts, and its short form, is explained in the flags`, () => {
      const flags = spec.flags.join('\n');
      const missing = accepted.flatMap(([name, option]) => [`--${name}`, ...(option.short ? [`-${option.short}`] : [])]).filter((flag) => !names(flags, flag));
      expect(missing).toEqual([]);
    });
  }

  it('prints a synopsis of several lines aligned under its first', () => {
    const silence = commandHelp(COMMANDS.find((c) => c.name === 'silence')!);
    expect(silence).toContain('Usage: stormwatch silence add --matcher M...');
    expect(silence).toContain('\n       stormwatch silence list ');
  });
});

describe("README's command line section", () => {
  const readme = readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8');
  const block = /^## Command line\n+```\n([\s\S]*?)\n```/m.exec(readme)![1]!;
  // Each command's entry: from its `stormwatch NAME` line to the next command's.
  const entries = new Map<string, string>();
  for (const entry of block.split(/\n(?=stormwatch )/)) {
    const name = /^stormwatch (\S+)/.exec(entry)![1]!;
    entries.set(name, `${entries.get(name) ?? ''}${entry}\n`);
  }

  for (const spec of COMMANDS) {
    it(`${spec.name}: names every flag the parser accepts`, () => {
      const entry = entries.get(spec.name) ?? '';
      const missing = Object.keys(spec.options).filter((name) => name !== 'help' && !names(entry, `--${name}`)).map((name) => `--${name}`);
      expect(missing).toEqual([]);
    });
  }
});
