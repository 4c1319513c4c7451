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
    let value: string;
    try {
      value = unescape(m[3]!);
    } catch (error) {
      throw new Error(`label matcher ${m[1]!}: ${(error as Error).message} in ${JSON.stringify(text)}`);
    }
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

/**
 * The labels (other than the name) a series must have to be selected: those whose matcher no
 * missing label ("") passes, as `code=~"5.."` or `route!=""`. A misspelt one selects nothing.
 */
export function requiredLabels(selector: Selector): string[] {
  const labels = selector.matchers
    .filter((m) => m.label !== '__name__' && !matchesEmpty(m))
    .map((m) => m.label);
  return [...new Set(labels)];
}

function matchesEmpty(m: LabelMatcher): boolean {
  switch (m.op) {
    case '=':
      return m.value === '';
    case '!=':
      return m.value !== '';
    case '=~':
      return m.regex!.test('');
    case '!~':
      return !m.regex!.test('');
  }
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

const SIMPLE_ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"' };

/**
 * A double-quoted PromQL string's value, its escapes read as Prometheus reads them (Go's: \a \b \f
 * \n \r \t \v \\ \", \xHH and \ooo bytes, \uHHHH and \UHHHHHHHH code points); throws on any other,
 * which Prometheus refuses too. Bytes are read as UTF-8, as Prometheus's label values are.
 */
export function unescape(value: string): string {
  if (!value.includes('\\')) return value;
  const bytes: number[] = [];
  const push = (text: string) => bytes.push(...Buffer.from(text, 'utf8'));
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (ch !== '\\') {
      const cp = value.codePointAt(i)!;
      push(String.fromCodePoint(cp));
      if (cp > 0xffff) i++;
      continue;
    }
    const e = value[++i];
    const digits = (n: number, re: RegExp) => {
      const d = value.slice(i + 1, i + 1 + n);
      if (d.length !== n || !re.test(d)) throw new Error(`invalid escape \\${e}${d}`);
      i += n;
      return d;
    };
    if (e !== undefined && e in SIMPLE_ESCAPES) push(SIMPLE_ESCAPES[e]!);
    else if (e === 'x') bytes.push(Number.parseInt(digits(2, /^[0-9a-fA-F]{2}$/), 16));
    else if (e === 'u' || e === 'U') {
      const cp = Number.parseInt(digits(e === 'u' ? 4 : 8, /^[0-9a-fA-F]+$/), 16);
      if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) throw new Error(`invalid escape \\${e} (not a code point)`);
      push(String.fromCodePoint(cp));
    } else if (e !== undefined && e >= '0' && e <= '7') {
      i--;
      const b = Number.parseInt(digits(3, /^[0-7]{3}$/), 8);
      if (b > 255) throw new Error(`invalid escape \\${value.slice(i - 2, i + 1)} (over \\377)`);
      bytes.push(b);
    } else throw new Error(`unknown escape sequence \\${e ?? ''} (PromQL knows \\a \\b \\f \\n \\r \\t \\v \\\\ \\" \\x \\u \\U and octal)`);
  }
  return Buffer.from(bytes).toString('utf8');
}
