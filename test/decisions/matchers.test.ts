// Route matchers as Alertmanager reads them: anchored regexes, a missing label is "", the four
// types, and parse errors that say what was expected.

import { describe, expect, it } from 'vitest';
import { matchesAll, matcherString, parseMatcher, sortMatchers } from '../../src/decisions/matchers.js';

describe('matchers', () => {
  it('match like Alertmanager', () => {
    const labels = { severity: 'critical', service: 'api' };
    const m = (t: string) => matchesAll([parseMatcher(t)], labels);
    expect(m('severity="critical"')).toBe(true);
    expect(m('severity=~"crit"')).toBe(false); // anchored
    expect(m('severity=~"crit.*|warning"')).toBe(true);
    expect(m('service!~"db|cache"')).toBe(true);
    expect(m('team!="db"')).toBe(true); // missing label reads as ""
    expect(m('team=""')).toBe(true);
    expect(m('team=~".+"')).toBe(false);
    expect(m('severity=critical')).toBe(true); // unquoted value
    // Go's regexp (RE2), as Alertmanager compiles them: its flags, not JavaScript's lookarounds.
    expect(m('severity=~"(?i)CRITICAL"')).toBe(true);
    expect(() => parseMatcher('severity=~"crit(?!ical)"')).toThrow('invalid or unsupported Perl syntax');
  });

  it('print and sort as Alertmanager route keys do', () => {
    const ms = sortMatchers(['severity=~"crit.*"', 'alertname!="X"', 'alertname="A"', 'note="say \\"hi\\""'].map(parseMatcher));
    expect(ms.map(matcherString)).toEqual(['alertname="A"', 'alertname!="X"', 'note="say \\"hi\\""', 'severity=~"crit.*"']);
  });

  it('refuses what is not a matcher', () => {
    expect(() => parseMatcher('severity')).toThrow('expected a matcher like severity="critical"');
    expect(() => parseMatcher('a=~"("')).toThrow('invalid regular expression in "a=~\\"(\\""');
  });
});
