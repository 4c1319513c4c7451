// `promtool tsdb dump` output read as a replay file. Each line is a sample, series by series:
//
//   {__name__="crates_api_requests_total", code="302", route="download"} 256 1689832800000
//
// the metric name among the labels, Go-quoted values separated by ", ", the timestamp in
// milliseconds. Each line is rewritten to the text format (`name{code="302",route="download"} 256
// 1689832800000`) and parsed as such; one line stays one line, so problems keep their line numbers.
// Pure: no I/O.

/** Whether a text opens as a TSDB dump: its first non-blank character opens a label set. */
export function opensAsTsdbDump(head: string): boolean {
  return /\S/.exec(head)?.[0] === '{';
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
    else pairs.push(line.slice(i, j + 1));
    i = j + 1;
  }
  if (name === undefined || name.includes('\\')) return line;
  const rest = line.slice(i + 1);
  return pairs.length > 0 ? `${name}{${pairs.join(',')}}${rest}` : `${name}${rest}`;
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
