// A PromQL instant-vector selector (`name{label="v",other=~"re"}`): parsed once, matched against series.

import { type AnchoredRegex, anchoredRegex } from './anchored-regex.js';
import type { Labels } from './types.js';

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface LabelMatcher {
  label: string;
  op: MatchOp;
  value: string;
  regex?: AnchoredRegex;
}

export interface Selector {
  text: string;
  matchers: LabelMatcher[];
}

const SELECTOR_RE = /^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*(?:\{(.*)\})?\s*$/s;
const MATCHER_RE = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*$/s;

/** Parses a selector; throws an Error whose message says what is wrong. */
export function parseSelector(text: string): Selector {
  const match = SELECTOR_RE.exec(text);
  if (!match || (!match[1] && match[2] === undefined)) {
    throw new Error(`expected a series selector like metric_name{label="value"}, got ${JSON.stringify(text)}`);
  }
  const matchers: LabelMatcher[] = [];
  if (match[1]) matchers.push({ label: '__name__', op: '=', value: match[1] });
  for (const part of splitMatchers(match[2] ?? '')) {
    const m = MATCHER_RE.exec(part);
    if (!m) throw new Error(`cannot read label matcher ${JSON.stringify(part.trim())} in ${JSON.stringify(text)}`);
    const value = unescape(m[3]!);
    const matcher: LabelMatcher = { label: m[1]!, op: m[2] as MatchOp, value };
    if (matcher.op === '=~' || matcher.op === '!~') {
      try {
        matcher.regex = anchoredRegex(value);
      } catch (error) {
        throw new Error(`invalid regular expression ${JSON.stringify(value)} in ${JSON.stringify(text)}: ${(error as Error).message}`);
      }
    }
    matchers.push(matcher);
  }
  if (!matchers.some((m) => (m.op === '=' && m.value !== '') || (m.op === '=~' && !m.regex!.test('')))) {
    throw new Error(`selector ${JSON.stringify(text)} must have a metric name or a matcher that does not match the empty string`);
  }
  return { text, matchers };
}

/** Whether a series (metric name plus labels) is selected. A missing label counts as "". */
export function matchesSelector(selector: Selector, name: string, labels: Labels): boolean {
  for (const m of selector.matchers) {
    const actual = m.label === '__name__' ? name : (labels[m.label] ?? '');
    switch (m.op) {
      case '=':
        if (actual !== m.value) return false;
        break;
      case '!=':
        if (actual === m.value) return false;
        break;
      case '=~':
        if (!m.regex!.test(actual)) return false;
        break;
      case '!~':
        if (m.regex!.test(actual)) return false;
        break;
    }
  }
  return true;
}

/** The metric name the selector requires, if any: lets a reader skip other families cheaply. */
export function selectorMetricName(selector: Selector): string | undefined {
  return selector.matchers.find((m) => m.label === '__name__' && m.op === '=')?.value;
}

function splitMatchers(body: string): string[] {
  const parts: string[] = [];
  let current = '';
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (inString && ch === '\\') {
      current += ch + (body[i + 1] ?? '');
      i++;
      continue;
    }
    if (ch === '"') inString = !inString;
    if (ch === ',' && !inString) {
      parts.push(current);
      current = '';
      continue;
    }
    current += ch;
  }
  if (current.trim() !== '') parts.push(current);
  return parts;
}

function unescape(value: string): string {
  return value.replace(/\\(.)/g, (_, ch: string) => (ch === 'n' ? '\n' : ch));
}
