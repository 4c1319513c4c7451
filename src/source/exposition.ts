// A pure parser for the Prometheus text exposition format (0.0.4) and OpenMetrics text.
// Bad lines are reported with their line number and skipped; they never abort the parse.
// One pass over the string with character codes: no per-line substrings or regular expressions on
// the hot path, and label sets of unwanted metrics are skipped without being built.

import type { Labels } from '../core/types.js';

export type ExpositionFormat = 'text' | 'openmetrics';

export interface ExpositionProblem {
  line: number;
  message: string;
}

export interface ParseOptions {
  /** 'text': timestamps are integer milliseconds; 'openmetrics': seconds, possibly fractional. */
  format: ExpositionFormat;
  /** Called for every valid sample. `timestampMs` is NaN when the line carries none. */
  onSample: (name: string, labels: Labels, value: number, timestampMs: number, line: number) => void;
  /**
   * Which metric names the caller wants. Samples of other names are checked (their line must be
   * well formed) but their labels are not built and onSample is not called. Default: all.
   */
  wants?: (name: string) => boolean;
}

export interface ParseResult {
  samples: number;
  problems: ExpositionProblem[];
  /** Problems on lines whose metric name the caller wants (a broken watched series, not noise). */
  wantedProblems: number;
  /** Metric family types declared by `# TYPE` lines. */
  types: Map<string, string>;
  /** OpenMetrics only: whether the mandatory `# EOF` terminator was seen. */
  sawEof: boolean;
}

const FLOAT_RE = /^[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|0[xX][0-9a-fA-F]+)$/;
const SPACE = 32;
const TAB = 9;
const CR = 13;
const HASH = 35;
const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const EQUALS = 61;
const LBRACE = 123;
const RBRACE = 125;

const isNameStart = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58;
const isNameChar = (c: number) => isNameStart(c) || (c >= 48 && c <= 57);
const isLabelStart = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
const isLabelChar = (c: number) => isLabelStart(c) || (c >= 48 && c <= 57);

/** Parses a sample value as Prometheus does, including NaN and ±Inf; undefined when it is not a number. */
export function parseSampleValue(text: string): number | undefined {
  switch (text) {
    case 'NaN':
      return Number.NaN;
    case '+Inf':
    case 'Inf':
      return Number.POSITIVE_INFINITY;
    case '-Inf':
      return Number.NEGATIVE_INFINITY;
  }
  return FLOAT_RE.test(text) ? Number(text) : undefined;
}

class LineError extends Error {}

/**
 * Parses exposition text, calling `onSample` for each wanted sample with a finite value.
 * Non-finite values (NaN, ±Inf) are reported as problems: stormwatch only reads counters, for
 * which such values mean a broken exporter. O(length).
 */
export function parseExposition(text: string, options: ParseOptions): ParseResult {
  const problems: ExpositionProblem[] = [];
  const types = new Map<string, string>();
  const openMetrics = options.format === 'openmetrics';
  const wants = options.wants;
  let samples = 0;
  let wantedProblems = 0;
  let sawEof = false;
  let lineNo = 0;
  let pos = 0;
  const len = text.length;

  while (pos < len) {
    lineNo++;
    let end = text.indexOf('\n', pos);
    if (end === -1) end = len;
    let stop = end;
    if (stop > pos && text.charCodeAt(stop - 1) === CR) stop--;
    const start = pos;
    pos = end + 1;
    // Skip leading blanks; an empty line is nothing.
    let i = start;
    while (i < stop && (text.charCodeAt(i) === SPACE || text.charCodeAt(i) === TAB)) i++;
    if (i === stop) continue;
    if (sawEof) {
      problems.push({ line: lineNo, message: 'content after # EOF ignored' });
      break;
    }
    if (text.charCodeAt(i) === HASH) {
      const parts = text.slice(i, stop).split(/\s+/);
      if (parts[1] === 'TYPE' && parts[2] && parts[3]) types.set(parts[2], parts[3]);
      else if (parts[1] === 'EOF' && parts.length === 2) sawEof = true;
      continue;
    }
    let wanted = false;
    try {
      // Metric name.
      if (!isNameStart(text.charCodeAt(i))) throw new LineError(`expected a metric name, found ${JSON.stringify(text.slice(i, Math.min(stop, i + 20)))}`);
      const nameStart = i;
      while (i < stop && isNameChar(text.charCodeAt(i))) i++;
      const name = text.slice(nameStart, i);
      wanted = wants === undefined || wants(name);
      let labels: Labels = EMPTY;
      if (text.charCodeAt(i) === LBRACE) {
        const parsed = parseLabels(text, i + 1, stop, name, wanted);
        i = parsed.next;
        if (wanted) labels = parsed.labels;
      }
      const c = text.charCodeAt(i);
      if (c !== SPACE && c !== TAB) throw new LineError(`${name}: expected a space before the value`);
      while (i < stop && (text.charCodeAt(i) === SPACE || text.charCodeAt(i) === TAB)) i++;
      // Value, then an optional timestamp; OpenMetrics exemplars follow " # ".
      let valueEnd = i;
      while (valueEnd < stop && text.charCodeAt(valueEnd) !== SPACE && text.charCodeAt(valueEnd) !== TAB) valueEnd++;
      if (valueEnd === i) throw new LineError(`${name}: missing value`);
      const valueText = text.slice(i, valueEnd);
      let j = valueEnd;
      while (j < stop && (text.charCodeAt(j) === SPACE || text.charCodeAt(j) === TAB)) j++;
      let timestampMs = Number.NaN;
      if (j < stop && !(openMetrics && text.charCodeAt(j) === HASH)) {
        let tsEnd = j;
        while (tsEnd < stop && text.charCodeAt(tsEnd) !== SPACE && text.charCodeAt(tsEnd) !== TAB) tsEnd++;
        const tsText = text.slice(j, tsEnd);
        let k = tsEnd;
        while (k < stop && (text.charCodeAt(k) === SPACE || text.charCodeAt(k) === TAB)) k++;
        if (k < stop && !(openMetrics && text.charCodeAt(k) === HASH)) throw new LineError(`${name}: unexpected text after the timestamp`);
        const ts = Number(tsText);
        if (!Number.isFinite(ts) || (!openMetrics && !Number.isInteger(ts))) {
          throw new LineError(`${name}: timestamp ${JSON.stringify(tsText)} is not ${openMetrics ? 'a number of seconds' : 'an integer of milliseconds'}`);
        }
        timestampMs = openMetrics ? Math.round(ts * 1000) : ts;
      }
      const value = parseSampleValue(valueText);
      if (value === undefined) throw new LineError(`${name}: value ${JSON.stringify(valueText)} is not a number`);
      if (!Number.isFinite(value)) {
        problems.push({ line: lineNo, message: `${name}: value ${formatValue(value)} is not a finite number; sample skipped` });
        if (wanted) wantedProblems++;
        continue;
      }
      samples++;
      if (wanted) options.onSample(name, labels, value, timestampMs, lineNo);
    } catch (error) {
      if (!(error instanceof LineError)) throw error;
      problems.push({ line: lineNo, message: `${error.message}; line skipped` });
      if (wanted) wantedProblems++;
    }
  }
  return { samples, problems, wantedProblems, types, sawEof };
}

/** Why a page that answered 200 is still not data. Each is also a SourceErrorReason. */
export type PageFault = 'not_exposition' | 'unreadable' | 'no_watched_series';

export interface PageFacts {
  contentType: string;
  /** The page's text (only its first non-blank character is looked at). */
  text: string;
  parse: Pick<ParseResult, 'samples' | 'problems' | 'wantedProblems'>;
  /** Valid samples that matched a watched selector. */
  watchedSamples: number;
}

const MARKUP_TYPES = /^\s*(?:text\/html|application\/xhtml|application\/json|application\/xml|text\/xml)/i;

/**
 * Judges a whole page, after parsing: a proxy's HTML error page with status 200, a page whose
 * watched lines are all malformed or non-finite, or a page without any watched series is a failed
 * read, never zero traffic. Exposition lines start with a metric name or '#', so a page opening with
 * '<', '{' or '[' is markup or JSON whatever its Content-Type says; a markup Content-Type alone is
 * forgiven when the page does carry watched samples (exporters that mislabel /metrics exist). Pure.
 */
export function checkPage(facts: PageFacts): { fault: PageFault; message: string } | undefined {
  const first = /\S/.exec(facts.text)?.[0];
  const markup = first === '<' || first === '{' || first === '[';
  if (markup || (facts.watchedSamples === 0 && MARKUP_TYPES.test(facts.contentType))) {
    const what = facts.contentType ? `Content-Type ${facts.contentType.split(';')[0]!.trim()}` : 'no Content-Type';
    return { fault: 'not_exposition', message: `the page is not Prometheus exposition (${what}, starts with ${JSON.stringify(facts.text.trimStart().slice(0, 15))})` };
  }
  if (facts.watchedSamples > 0) return undefined;
  const { samples, problems, wantedProblems } = facts.parse;
  if (wantedProblems > 0 || (samples === 0 && problems.length > 0)) {
    const bad = wantedProblems > 0 ? `${wantedProblems} line(s) of watched metrics` : `all ${problems.length} line(s)`;
    return { fault: 'unreadable', message: `no watched sample could be read: ${bad} malformed or not finite (first: line ${problems[0]?.line}: ${problems[0]?.message})` };
  }
  return { fault: 'no_watched_series', message: `none of the watched series is on the page (${samples} other sample(s))` };
}

const EMPTY: Labels = Object.freeze({}) as Labels;

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? '+Inf' : '-Inf';
}

/**
 * Parses `name="value",...}` from `from` (after the `{`); returns the labels (built only when
 * `build`) and the index after the `}`. Columns in messages are 1-based within the line.
 */
function parseLabels(text: string, from: number, stop: number, metric: string, build: boolean): { labels: Labels; next: number } {
  const labels: Labels = build ? {} : EMPTY;
  const lineStart = text.lastIndexOf('\n', from) + 1;
  const col = (at: number) => at - lineStart + 1;
  let i = from;
  for (;;) {
    while (text.charCodeAt(i) === SPACE) i++;
    if (i >= stop) throw new LineError(`${metric}: expected ',' or '}' at column ${col(i)}`);
    if (text.charCodeAt(i) === RBRACE) return { labels, next: i + 1 };
    if (!isLabelStart(text.charCodeAt(i))) throw new LineError(`${metric}: expected a label name at column ${col(i)}`);
    const nameStart = i;
    while (i < stop && isLabelChar(text.charCodeAt(i))) i++;
    const labelName = text.slice(nameStart, i);
    while (text.charCodeAt(i) === SPACE) i++;
    if (text.charCodeAt(i) !== EQUALS) throw new LineError(`${metric}: label ${labelName}: expected '=' at column ${col(i)}`);
    i++;
    while (text.charCodeAt(i) === SPACE) i++;
    if (text.charCodeAt(i) !== QUOTE) throw new LineError(`${metric}: label ${labelName}: expected a quoted value at column ${col(i)}`);
    i++;
    const valueStart = i;
    let escaped = false;
    for (;;) {
      if (i >= stop) throw new LineError(`${metric}: label ${labelName}: unterminated value`);
      const c = text.charCodeAt(i);
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        const next = text.charCodeAt(i + 1);
        if (next !== 110 && next !== BACKSLASH && next !== QUOTE) {
          throw new LineError(`${metric}: label ${labelName}: invalid escape \\${i + 1 < stop ? text[i + 1] : ''} at column ${col(i)}`);
        }
        escaped = true;
        i += 2;
        continue;
      }
      i++;
    }
    if (build) {
      if (labelName in labels) throw new LineError(`${metric}: label ${labelName}: given twice`);
      const raw = text.slice(valueStart, i);
      labels[labelName] = escaped ? raw.replace(/\\(.)/g, (_, ch: string) => (ch === 'n' ? '\n' : ch)) : raw;
    }
    i++;
    while (text.charCodeAt(i) === SPACE) i++;
    const c = text.charCodeAt(i);
    if (c === COMMA) {
      i++;
      continue;
    }
    if (c === RBRACE) return { labels, next: i + 1 };
    throw new LineError(`${metric}: expected ',' or '}' at column ${col(i)}`);
  }
}
