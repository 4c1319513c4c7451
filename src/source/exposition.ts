// A pure parser for the Prometheus text exposition format (0.0.4) and OpenMetrics text.
// Bad lines are reported with their line number and skipped; they never abort the parse.

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
}

export interface ParseResult {
  samples: number;
  problems: ExpositionProblem[];
  /** Metric family types declared by `# TYPE` lines. */
  types: Map<string, string>;
  /** OpenMetrics only: whether the mandatory `# EOF` terminator was seen. */
  sawEof: boolean;
}

const NAME_START = /[a-zA-Z_:]/;
const NAME_CHAR = /[a-zA-Z0-9_:]/;
const LABEL_START = /[a-zA-Z_]/;
const LABEL_CHAR = /[a-zA-Z0-9_]/;
const FLOAT_RE = /^[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|0[xX][0-9a-fA-F]+)$/;

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
 * Parses exposition text, calling `onSample` for each sample with a finite value.
 * Non-finite values (NaN, ±Inf) are reported as problems: stormwatch only reads counters, for
 * which such values mean a broken exporter. Runs in one pass over the text; O(length).
 */
export function parseExposition(text: string, options: ParseOptions): ParseResult {
  const problems: ExpositionProblem[] = [];
  const types = new Map<string, string>();
  let samples = 0;
  let sawEof = false;
  let lineNo = 0;
  let start = 0;
  const openMetrics = options.format === 'openmetrics';

  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    lineNo++;
    let line = text.slice(start, end);
    start = end + 1;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.length === 0 || /^\s*$/.test(line)) {
      if (end === text.length) break;
      continue;
    }
    if (sawEof) {
      problems.push({ line: lineNo, message: 'content after # EOF ignored' });
      break;
    }
    if (line.startsWith('#')) {
      const parts = line.split(/\s+/);
      if (parts[1] === 'TYPE' && parts[2] && parts[3]) types.set(parts[2], parts[3]);
      else if (parts[1] === 'EOF' && parts.length === 2) sawEof = true;
      continue;
    }
    try {
      const parsed = parseSampleLine(line, openMetrics);
      if (!Number.isFinite(parsed.value)) {
        problems.push({ line: lineNo, message: `${parsed.name}: value ${formatValue(parsed.value)} is not a finite number; sample skipped` });
        continue;
      }
      samples++;
      options.onSample(parsed.name, parsed.labels, parsed.value, parsed.timestampMs, lineNo);
    } catch (error) {
      if (!(error instanceof LineError)) throw error;
      problems.push({ line: lineNo, message: `${error.message}; line skipped` });
    }
    if (end === text.length) break;
  }
  return { samples, problems, types, sawEof };
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? '+Inf' : '-Inf';
}

interface ParsedSample {
  name: string;
  labels: Labels;
  value: number;
  timestampMs: number;
}

function parseSampleLine(line: string, openMetrics: boolean): ParsedSample {
  let i = 0;
  if (!NAME_START.test(line[0] ?? '')) throw new LineError(`expected a metric name, found ${JSON.stringify(line.slice(0, 20))}`);
  while (i < line.length && NAME_CHAR.test(line[i]!)) i++;
  const name = line.slice(0, i);
  const labels: Labels = {};
  if (line[i] === '{') {
    try {
      i = parseLabels(line, i + 1, labels);
    } catch (error) {
      if (error instanceof LineError) throw new LineError(`${name}: ${error.message}`);
      throw error;
    }
  }
  if (line[i] !== ' ' && line[i] !== '\t') throw new LineError(`${name}: expected a space before the value`);
  while (line[i] === ' ' || line[i] === '\t') i++;
  // OpenMetrics exemplars follow " # "; they carry nothing stormwatch uses.
  const rest = (openMetrics ? line.slice(i).split(' # ')[0]! : line.slice(i)).trim();
  const fields = rest.split(/[ \t]+/);
  if (fields.length === 0 || fields[0] === '') throw new LineError(`${name}: missing value`);
  if (fields.length > 2) throw new LineError(`${name}: unexpected text after the timestamp`);
  const value = parseSampleValue(fields[0]!);
  if (value === undefined) throw new LineError(`${name}: value ${JSON.stringify(fields[0])} is not a number`);
  let timestampMs = Number.NaN;
  if (fields.length === 2) {
    const ts = Number(fields[1]);
    if (fields[1] === '' || !Number.isFinite(ts) || (!openMetrics && !Number.isInteger(ts))) {
      throw new LineError(`${name}: timestamp ${JSON.stringify(fields[1])} is not ${openMetrics ? 'a number of seconds' : 'an integer of milliseconds'}`);
    }
    timestampMs = openMetrics ? Math.round(ts * 1000) : ts;
  }
  return { name, labels, value, timestampMs };
}

/** Parses `name="value",...}` starting after the `{`; returns the index after the `}`. */
function parseLabels(line: string, from: number, labels: Labels): number {
  let i = from;
  for (;;) {
    while (line[i] === ' ') i++;
    if (line[i] === '}') return i + 1;
    if (!LABEL_START.test(line[i] ?? '')) throw new LineError(`expected a label name at column ${i + 1}`);
    const nameStart = i;
    while (i < line.length && LABEL_CHAR.test(line[i]!)) i++;
    const labelName = line.slice(nameStart, i);
    while (line[i] === ' ') i++;
    if (line[i] !== '=') throw new LineError(`label ${labelName}: expected '=' at column ${i + 1}`);
    i++;
    while (line[i] === ' ') i++;
    if (line[i] !== '"') throw new LineError(`label ${labelName}: expected a quoted value at column ${i + 1}`);
    i++;
    let value = '';
    for (;;) {
      const ch = line[i];
      if (ch === undefined) throw new LineError(`label ${labelName}: unterminated value`);
      if (ch === '"') break;
      if (ch === '\\') {
        const next = line[i + 1];
        if (next === 'n') value += '\n';
        else if (next === '\\' || next === '"') value += next;
        else throw new LineError(`label ${labelName}: invalid escape \\${next ?? ''} at column ${i + 1}`);
        i += 2;
        continue;
      }
      value += ch;
      i++;
    }
    i++;
    if (labelName in labels) throw new LineError(`label ${labelName}: given twice`);
    labels[labelName] = value;
    while (line[i] === ' ') i++;
    if (line[i] === ',') {
      i++;
      continue;
    }
    if (line[i] === '}') return i + 1;
    throw new LineError(`expected ',' or '}' at column ${i + 1}`);
  }
}
