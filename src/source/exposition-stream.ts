// A /metrics page parsed as its body arrives: each chunk's whole lines are parsed at once, the
// unfinished last line waits for the next chunk. No text of the whole page is ever built, so a
// 100 MB page costs its parse, not a second copy of itself, and the parse overlaps the transfer.

import { StringDecoder } from 'node:string_decoder';
import { type ParseOptions, type ParseResult, type ParseState, beginParse, parseLines, skipCutLine } from './exposition.js';

/** How much of the page's opening is kept for checkPage (it reads the first non-blank character). */
const HEAD_CHARS = 64;

export class ExpositionStream {
  private readonly state: ParseState;
  /** UTF-8 with a character split across chunks held back until its last byte comes. */
  private readonly decoder = new StringDecoder('utf8');
  /** The unfinished line at the end of the text so far. */
  private rest = '';
  private pageHead = '';

  constructor(options: ParseOptions) {
    this.state = beginParse(options);
  }

  /** The page from its first non-blank character, at most HEAD_CHARS of it ('' while all blank). */
  get head(): string {
    return this.pageHead;
  }

  push(bytes: Uint8Array): void {
    this.pushText(this.decoder.write(bytes as Buffer));
  }

  /** Text that follows what was pushed so far (decoded already: bytes and text are not mixed). */
  pushText(text: string): void {
    if (this.pageHead.length < HEAD_CHARS) this.keepHead(text);
    let from = 0;
    if (this.rest !== '') {
      // The line left over from the last chunk, finished by this one's first line.
      const nl = text.indexOf('\n');
      if (nl === -1) {
        this.rest += text;
        return;
      }
      parseLines(this.rest + text.slice(0, nl + 1), this.state);
      from = nl + 1;
    }
    const to = text.lastIndexOf('\n') + 1;
    if (to > from) parseLines(text, this.state, from, to);
    this.rest = text.slice(Math.max(from, to));
  }

  /**
   * The body is complete: its last line is parsed too, with or without a newline. With
   * `lastLineEnds` (a scraped page, whose format says every line ends with one) a last line without
   * its newline is a page cut short inside it: skipped as malformed, not read as a number (a
   * value 4071 cut to `40` read as a counter restart, and the next page's as a storm).
   */
  end(lastLineEnds = false): ParseResult {
    const text = this.rest + this.decoder.end();
    if (this.pageHead.length < HEAD_CHARS) this.keepHead(text.slice(this.rest.length));
    this.rest = '';
    if (text === '') return this.state.result;
    if (lastLineEnds && !text.endsWith('\n')) {
      const nl = text.lastIndexOf('\n');
      if (nl >= 0) parseLines(text, this.state, 0, nl + 1);
      skipCutLine(text.slice(nl + 1), this.state);
    } else parseLines(text, this.state);
    return this.state.result;
  }

  /** Extends the page's opening by `fresh`, the text that follows everything seen so far. */
  private keepHead(fresh: string): void {
    if (this.pageHead === '') {
      // Everything before was blank.
      const first = fresh.search(/\S/);
      if (first >= 0) this.pageHead = fresh.slice(first, first + HEAD_CHARS);
    } else this.pageHead += fresh.slice(0, HEAD_CHARS - this.pageHead.length);
  }
}
