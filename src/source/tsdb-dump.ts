// `promtool tsdb dump` output read as a replay file. Each line is a sample, series by series:
//
//   {__name__="crates_api_requests_total", code="302", route="download"} 256 1689832800000
//
// the metric name among the labels, Go-quoted values separated by ", ", the timestamp in
// milliseconds. Each line is rewritten to the text format (`name{code="302",route="download"} 256
// 1689832800000`) and parsed as such; one line stays one line, so problems keep their line numbers.
// Pure: no I/O.

/**
 * Whether a text opens as a TSDB dump: the first character of its first line that is neither
 * blank nor a comment opens a label set (a text that holds no such line in `head` is not one).
 */
export function opensAsTsdbDump(head: string): boolean {
  return /^[ \t]*([^\s#])/m.exec(head)?.[1] === '{';
}

/**
 * One dump line in the text format. A line that is not a label set with a `__name__` (blank, a
 * comment, anything malformed) is returned as it is, for the parser to read or report.
 */
export function dumpLineAsText(line: string): string {
  if (line.charCodeAt(0) !== 0x7b /* { */) return line;
  let name: string | undefined;
  const pairs: string[] = [];
  let i = 1;
  for (;;) {
    while (line[i] === ' ' || line[i] === ',') i++;
    if (i >= line.length) return line;
    if (line[i] === '}') break;
    const eq = line.indexOf('=', i);
    if (eq < 0 || line[eq + 1] !== '"') return line;
    // The value's closing quote: escapes (\" and \\) skipped.
    let j = eq + 2;
    while (j < line.length && line[j] !== '"') j += line[j] === '\\' ? 2 : 1;
    if (j >= line.length) return line;
    if (line.slice(i, eq) === '__name__') name = line.slice(eq + 2, j);
    else pairs.push(OTHER_GO_ESCAPE.test(line.slice(eq + 2, j)) ? `${line.slice(i, eq)}="${goQuotedAsText(line.slice(eq + 2, j))}"` : line.slice(i, j + 1));
    i = j + 1;
  }
  if (name === undefined || name.includes('\\')) return line;
  const rest = line.slice(i + 1);
  return pairs.length > 0 ? `${name}{${pairs.join(',')}}${rest}` : `${name}${rest}`;
}

/** A Go escape the text format has not (it has \\, \" and \n): \t, \u00e9, \x80 and the like. */
const OTHER_GO_ESCAPE = /\\[^\\"n]/;
const GO_ESCAPE = /\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|(.))/g;
const GO_SIMPLE: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'" };

/**
 * A label value as Go's strconv.Quote writes it (what promtool prints), inside its quotes, in the
 * text format's escapes: its characters decoded (a \x byte, outside UTF-8, as U+FFFD) and only
 * backslash, quote and newline escaped again (an escape Go does not write reads as its character).
 */
export function goQuotedAsText(quoted: string): string {
  const value = quoted.replace(GO_ESCAPE, (whole, x?: string, u?: string, bigU?: string, c?: string) => {
    if (x !== undefined) return '\ufffd';
    if (u !== undefined || bigU !== undefined) {
      const code = Number.parseInt((u ?? bigU)!, 16);
      return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return GO_SIMPLE[c!] ?? c!;
  });
  return value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/** A dump's text as it arrives, rewritten line by line; an unfinished last line waits for the rest. */
export class TsdbDumpText {
  private rest = '';

  /** The whole lines so far (with what was held back before them), rewritten, each ending in a newline. */
  push(text: string): string {
    const to = text.lastIndexOf('\n');
    if (to < 0) {
      this.rest += text;
      return '';
    }
    const lines = (this.rest + text.slice(0, to)).split('\n');
    this.rest = text.slice(to + 1);
    for (let k = 0; k < lines.length; k++) lines[k] = dumpLineAsText(lines[k]!);
    return `${lines.join('\n')}\n`;
  }

  /** The last line, when the text did not end with a newline. */
  end(): string {
    const last = this.rest;
    this.rest = '';
    return last === '' ? '' : dumpLineAsText(last);
  }
}
