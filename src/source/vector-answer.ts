// Reads a Prometheus instant-query answer (a vector) without building an object per series: each
// series comes out as the text of its `metric` object, which stays the same from tick to tick for
// the same series, so a caller resolves labels, keys and selectors once per distinct text and finds
// them again by a string lookup. At 100k series, JSON.parse of three answers and the objects it
// builds were most of a tick's source read.
//
// Only the exact layout Prometheus writes is scanned (`{"status":"success","data":{"resultType":
// "vector","result":[{"metric":{...},"value":[t,"v"]},...]}}`); anything else (whitespace, other key
// orders, warnings, a scalar, an error) returns undefined and the caller parses it as JSON. Pure.

/** The series of a vector: each one's metric object as text (valid JSON), and its value. */
export interface VectorAnswer {
  metrics: string[];
  values: number[];
}

const PREFIX = '{"status":"success","data":{"resultType":"vector","result":[';
const METRIC = '{"metric":';
const VALUE = ',"value":[';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN = 0x7b;
const CLOSE = 0x7d;

/** The index just after a JSON string starting at `at` (a quote), or -1. */
function skipString(text: string, at: number): number {
  if (text.charCodeAt(at) !== QUOTE) return -1;
  for (let i = at + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) return i + 1;
    if (c === BACKSLASH) i++;
    // Control characters are not valid JSON inside a string: leave such a body to JSON.parse.
    else if (c < 0x20) return -1;
  }
  return -1;
}

/** The index just after a flat object of string values starting at `at`, or -1. */
function skipLabels(text: string, at: number): number {
  if (text.charCodeAt(at) !== OPEN) return -1;
  let i = at + 1;
  if (text.charCodeAt(i) === CLOSE) return i + 1;
  for (;;) {
    i = skipString(text, i);
    if (i < 0 || text.charCodeAt(i) !== COLON) return -1;
    i = skipString(text, i + 1);
    if (i < 0) return -1;
    const c = text.charCodeAt(i);
    if (c === CLOSE) return i + 1;
    if (c !== COMMA) return -1;
    i++;
  }
}

/** Whether text[from..to) is a plain decimal JSON number (what Prometheus writes as a sample's time). */
function isTime(text: string, from: number, to: number): boolean {
  let i = from;
  if (text.charCodeAt(i) === 0x2d) i++;
  const digits = i;
  while (i < to && isDigit(text.charCodeAt(i))) i++;
  // No leading zeros (JSON) and at least one digit.
  if (i === digits || (text.charCodeAt(digits) === 0x30 && i - digits > 1)) return false;
  if (i < to && text.charCodeAt(i) === 0x2e) {
    const fraction = ++i;
    while (i < to && isDigit(text.charCodeAt(i))) i++;
    if (i === fraction) return false;
  }
  return i === to;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** The series of a vector answer in Prometheus's own layout; undefined for anything else. */
export function scanVectorAnswer(text: string): VectorAnswer | undefined {
  if (!text.startsWith(PREFIX)) return undefined;
  const metrics: string[] = [];
  const values: number[] = [];
  let i = PREFIX.length;
  if (text.charCodeAt(i) === 0x5d) i++;
  else {
    for (;;) {
      if (!text.startsWith(METRIC, i)) return undefined;
      const start = i + METRIC.length;
      const end = skipLabels(text, start);
      if (end < 0 || !text.startsWith(VALUE, end)) return undefined;
      const timeEnd = text.indexOf(',', end + VALUE.length);
      if (timeEnd < 0 || !isTime(text, end + VALUE.length, timeEnd) || text.charCodeAt(timeEnd + 1) !== QUOTE) return undefined;
      const valueEnd = text.indexOf('"', timeEnd + 2);
      if (valueEnd < 0 || text.charCodeAt(valueEnd + 1) !== 0x5d || text.charCodeAt(valueEnd + 2) !== CLOSE) return undefined;
      const value = text.slice(timeEnd + 2, valueEnd);
      // Sample values are numbers, NaN or ±Inf: never escapes (the scan for the closing quote would be wrong).
      if (value.includes('\\')) return undefined;
      metrics.push(text.slice(start, end));
      values.push(Number(value));
      i = valueEnd + 3;
      const c = text.charCodeAt(i);
      if (c === COMMA) i++;
      else if (c === 0x5d) {
        i++;
        break;
      } else return undefined;
    }
  }
  // The answer ends with the result: no warnings or other keys after it (those are left to JSON.parse).
  return text.slice(i).trimEnd() === '}}' ? { metrics, values } : undefined;
}
