// Alertmanager-style label matchers for routes: name="v", name!="v", name=~"re", name!~"re"
// (pkg/labels/matcher.go): regexes anchored at both ends, a missing label reads as "", sorted by
// name, value, then type when they name a route. Pure.

import { type AnchoredRegex, anchoredRegex } from '../core/anchored-regex.js';
import type { Labels } from '../core/types.js';

export type MatchType = '=' | '!=' | '=~' | '!~';
const TYPE_ORDER: MatchType[] = ['=', '!=', '=~', '!~'];

export interface Matcher {
  name: string;
  type: MatchType;
  value: string;
  re?: AnchoredRegex;
}

const MATCHER = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|([^"\s,{}]*))\s*$/;

/** Parses one matcher (`severity=~"critical|warning"`); throws with a message naming the problem. */
export function parseMatcher(text: string): Matcher {
  const m = MATCHER.exec(text);
  if (!m) throw new Error(`expected a matcher like severity="critical", team!="db" or service=~"api|web", got ${JSON.stringify(text)}`);
  const type = m[2] as MatchType;
  const value = m[3] !== undefined ? m[3].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c)) : m[4]!;
  if (type === '=~' || type === '!~') {
    try {
      return { name: m[1]!, type, value, re: anchoredRegex(value) };
    } catch (error) {
      throw new Error(`invalid regular expression in ${JSON.stringify(text)}: ${(error as Error).message}`);
    }
  }
  return { name: m[1]!, type, value };
}

export function matcherMatches(m: Matcher, labels: Labels): boolean {
  const v = labels[m.name] ?? '';
  switch (m.type) {
    case '=':
      return v === m.value;
    case '!=':
      return v !== m.value;
    case '=~':
      return m.re!.test(v);
    case '!~':
      return !m.re!.test(v);
  }
}

export function matchesAll(matchers: readonly Matcher[], labels: Labels): boolean {
  return matchers.every((m) => matcherMatches(m, labels));
}

/** Alertmanager's order (Matchers.Less): name, then value, then type. */
export function sortMatchers(matchers: readonly Matcher[]): Matcher[] {
  return [...matchers].sort((a, b) => (a.name !== b.name ? (a.name < b.name ? -1 : 1) : a.value !== b.value ? (a.value < b.value ? -1 : 1) : TYPE_ORDER.indexOf(a.type) - TYPE_ORDER.indexOf(b.type)));
}

/** As Matcher.String() prints it: name, type, the value quoted with OpenMetrics escaping. */
export function matcherString(m: Matcher): string {
  return `${m.name}${m.type}"${m.value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`;
}
