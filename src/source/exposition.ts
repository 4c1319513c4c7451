// A pure parser for the Prometheus text exposition format (0.0.4) and OpenMetrics text.
// Bad lines are reported with their line number and skipped; they never abort the parse.
// One pass over the string with character codes: no per-line substrings or regular expressions on
// the hot path, and label sets of unwanted metrics are skipped without being built.

import { detached } from '../core/detached.js';
import { clip } from '../core/clip.js';
import { fnv1a32 } from '../core/fnv1a.js';
import { sameLabels } from '../series/series-key.js';
import { SharedLabelValues } from './shared-label-values.js';
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
  /**
   * Label sets already built, by their text as written (`{a="1",b="2"}`): a series seen before gets
   * the same (frozen) object back, so its labels are built once, not once a sample, and callers can
   * keep per-series work keyed by it. A replay file repeats each series every tick; a scraped page
   * repeats them every scrape.
   */
  labelCache?: LabelSetCache;
  /**
   * Read on after a `# EOF` that is not the text's last line, reporting it once each time: a
   * replay file made by joining two exports (`cat a.om b.om`) lost its second half without it.
   * Default: what follows is reported and ignored, as OpenMetrics says.
   */
  readPastEof?: boolean;
  /**
   * The wanted series are counters (stormwatch's sources: counters, and info metrics' 1): a
   * negative value is a problem and its sample skipped; read on, it was a reset of the whole
   * counter. Default: any finite value is a sample (the parser alone, as its peers read pages).
   */
  counters?: boolean;
}

/** A label set by its text as written, and the label text that came after it last time. */
interface LabelSetEntry {
  text: string;
  labels: Labels;
  next: LabelSetEntry | undefined;
  /** The page this entry was last seen on (see endPage). */
  page: number;
}

/**
 * Label sets by their text as written. Bounded by generations: `endPage()` drops the sets seen on
 * neither this page nor the one before, so a cache kept across scrapes follows the series that exist.
 * Pages and replay files repeat their series in the same order: the label text after the last one
 * handed out is predicted, and a hit is a comparison of characters where it is written (no
 * substring, no hashing).
 *
 * One label set is one object, whatever order its labels are written in: a text first seen is
 * looked up by its labels in name order (canonicalText), and a set already handed out under another
 * order is handed out again. The text format does not fix the order, and an exporter that writes
 * labels from a hash map may change it from scrape to scrape; what is keyed by the object (a
 * series' counters, a replay's series numbers, a page's duplicates) must not see a new series.
 */
export class LabelSetCache {
  /**
   * Every remembered set, stamped with the last page it was seen on. One map kept across pages:
   * moving each set seen again into a new map every page cost a map insertion per series per scrape
   * (300k at 100k series) and the growth of that map.
   */
  private readonly entries = new Map<string, LabelSetEntry>();
  /**
   * For each set none of whose texts is its labels in name order (which `entries` finds), one of
   * its entries, by a hash of that order's text: a number a set, not a second string.
   */
  private readonly unordered = new Map<number, LabelSetEntry>();
  /** The entries of each set seen under two texts or more (an exporter that reorders its labels). */
  private readonly siblings = new Map<Labels, LabelSetEntry[]>();
  private page = 0;
  /**
   * When each page since the oldest kept one ended (endPage's time), oldest first, and the number
   * of the first of them: a set away for less than keepMs is kept.
   */
  private pageTimes: number[] = [];
  private firstTimedPage = 0;
  private last: LabelSetEntry | undefined;
  /** Entries first made on this page (dropPage lets them go). */
  private bornThisPage: LabelSetEntry[] = [];
  /** The sets' label values, one string for each value most names share (see SharedLabelValues). */
  private readonly values = new SharedLabelValues();

  /**
   * `keepMs`: how long a set absent from the pages is remembered, when endPage is told the time
   * (at least the two pages either way). A series back within it is handed its old object, so what
   * is keyed by it goes on: a pod's series hidden for 45 s and read as new on its return counted
   * its error counter's whole lifetime in one scrape.
   */
  constructor(private readonly keepMs = 0) {}

  get(text: string): Labels | undefined {
    const hit = this.entries.get(text);
    if (hit === undefined) return undefined;
    this.touch(hit);
    this.follow(hit);
    return hit.labels;
  }

  set(text: string, labels: Labels): Labels {
    const old = this.entries.get(text);
    if (old !== undefined) this.forget(old);
    const canonical = canonicalText(labels);
    const hash = textHash(canonical);
    // The same set written in another order (or in name order) already has its object.
    let same = this.entries.get(canonical);
    if (same === undefined) {
      const candidate = this.unordered.get(hash);
      if (candidate !== undefined && sameLabels(candidate.labels, labels)) same = candidate;
    }
    let frozen: Labels;
    if (same !== undefined) frozen = same.labels;
    else {
      for (const name in labels) labels[name] = this.values.share(name, labels[name]!);
      frozen = Object.freeze(labels);
    }
    const entry: LabelSetEntry = { text: detached(text), labels: frozen, next: undefined, page: this.page };
    this.entries.set(entry.text, entry);
    if (same !== undefined) {
      const family = this.siblings.get(frozen);
      if (family === undefined) this.siblings.set(frozen, [same, entry]);
      else family.push(entry);
    }
    // Findable by its name-order text while any of its entries lives (another set of the same hash: rare, not findable).
    if (canonical !== text && !this.unordered.has(hash)) this.unordered.set(hash, entry);
    if (old === undefined) this.bornThisPage.push(entry);
    this.follow(entry);
    return entry.labels;
  }

  /** Forgets an entry: its text, its place among its set's other texts, and among the unordered (handed to a sibling). */
  private forget(entry: LabelSetEntry): void {
    if (this.entries.get(entry.text) === entry) this.entries.delete(entry.text);
    const family = this.siblings.get(entry.labels);
    if (family !== undefined) {
      const at = family.indexOf(entry);
      if (at >= 0) family.splice(at, 1);
      if (family.length <= 1) this.siblings.delete(entry.labels);
    }
    const canonical = canonicalText(entry.labels);
    if (canonical === entry.text) return;
    const hash = textHash(canonical);
    if (this.unordered.get(hash) !== entry) return;
    this.unordered.delete(hash);
    const heir = family?.find((e) => e.text !== canonical);
    if (heir !== undefined) this.unordered.set(hash, heir);
  }

  /**
   * The predicted label set when its text is written at page[at...] (`at` at its `{`), else
   * undefined. A hit counts as handed out; `predictedLength` is then the length of its text.
   */
  predictedAt(page: string, at: number): Labels | undefined {
    const next = this.last?.next;
    // An entry seen on neither this page nor the last one is forgotten (endPage), predicted or not.
    if (next === undefined || next.page < this.page - 1) return undefined;
    const text = next.text;
    // A label text holds no line break (labelSetEnd stops at the line's end), so a match stays on its line.
    for (let k = 0; k < text.length; k++) if (page.charCodeAt(at + k) !== text.charCodeAt(k)) return undefined;
    this.touch(next);
    this.last = next;
    this.predictedLength = text.length;
    return next.labels;
  }

  /** The length of the label text of the last hit of predictedAt. */
  predictedLength = 0;

  /**
   * Ends a page: label sets seen on neither this page nor the previous one are forgotten, unless
   * they were seen within keepMs of `timeMs` (the page's time, when given).
   */
  endPage(timeMs = Number.NaN): void {
    this.page++;
    if (this.bornThisPage.length > 0) this.bornThisPage = [];
    let keepFrom = this.page - 1;
    if (this.keepMs > 0 && Number.isFinite(timeMs)) {
      // Page p's sets were seen at pageTimes[p - firstTimedPage]; the oldest within keepMs is kept.
      this.pageTimes.push(timeMs);
      let drop = 0;
      while (drop < this.pageTimes.length - 1 && timeMs - this.pageTimes[drop]! > this.keepMs) drop++;
      if (drop > 0) {
        this.pageTimes.splice(0, drop);
        this.firstTimedPage += drop;
      }
      keepFrom = Math.min(keepFrom, this.firstTimedPage);
    } else {
      this.pageTimes = [];
      this.firstTimedPage = this.page;
    }
    // forEach, not for-of: no entry array per set.
    this.entries.forEach((entry) => {
      if (entry.page < keepFrom) this.forget(entry);
    });
  }

  /**
   * Ends a page that is not used (a scrape judged not to be data, or broken midway): the label sets
   * it brought are let go, and it does not count as a page, so the sets of the last page used are
   * still remembered on the next. A bad page between two good ones hands out the same objects on
   * both good ones, and what is keyed by them (a series' counter, see snapshot-frames.ts) goes on.
   */
  dropPage(): void {
    for (const entry of this.bornThisPage) {
      this.forget(entry);
      // Never predicted again (predictedAt refuses entries of pages before the last one).
      entry.page = -2;
    }
    this.bornThisPage = [];
    this.last = undefined;
  }

  /** Marks an entry as seen on this page. */
  private touch(entry: LabelSetEntry): void {
    entry.page = this.page;
  }

  private follow(entry: LabelSetEntry): void {
    if (this.last !== undefined) this.last.next = entry;
    this.last = entry;
  }
}

/**
 * A label set's text with its labels in name order, as a page would write it: `{a="1",b="2"}`,
 * values escaped as the text format escapes them.
 */
export function canonicalText(labels: Labels): string {
  const names = Object.keys(labels).sort();
  let text = '{';
  for (let i = 0; i < names.length; i++) {
    const value = labels[names[i]!]!;
    text += `${i === 0 ? '' : ','}${names[i]}="${value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))}"`;
  }
  return `${text}}`;
}

/** A text's FNV-1a in 31 bits (a small integer to V8: a map key without a box). */
function textHash(text: string): number {
  return fnv1a32(text) >>> 1;
}

export interface ParseResult {
  samples: number;
  problems: ExpositionProblem[];
  /** Problems on lines whose metric name the caller wants (a broken watched series, not noise). */
  wantedProblems: number;
  /** The first of them. */
  firstWantedProblem?: ExpositionProblem;
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

// What readSampleLine read from the last sample line, and the metric name of the line before (with
// whether the caller wants it). Module variables, not an object per parse: optimised code that saw
// a per-parse object holds it weakly and is thrown away once the object is collected (after every
// page), so each page paid for compiling the parser again.
let lineName = '';
let lineLabels: Labels = {};
let lineValue = 0;
let lineTimestampMs = Number.NaN;
let lineWanted = false;
let lastName = '';
let lastWanted = false;
/** Counts parses begun: a callback that parses again invalidates the outer parse's name memo. */
let parsesBegun = 0;

/**
 * Parses exposition text, calling `onSample` for each wanted sample with a finite value.
 * Non-finite values (NaN, ±Inf) are reported as problems, and negative ones of wanted series with
 * `counters`: stormwatch only reads counters, for which such values mean a broken exporter. O(length).
 */
export function parseExposition(text: string, options: ParseOptions): ParseResult {
  const state = beginParse(options);
  parseLines(text, state);
  return state.result;
}

/** A parse in progress: what carries over from one piece of a page to the next. */
export interface ParseState {
  readonly options: ParseOptions;
  readonly result: ParseResult;
  /** Lines read so far (the next line is lineNo + 1). */
  lineNo: number;
  /** After `# EOF` and the problem it reports, nothing more is read. */
  stopped: boolean;
}

export function beginParse(options: ParseOptions): ParseState {
  return { options, result: { samples: 0, problems: [], wantedProblems: 0, types: new Map(), sawEof: false }, lineNo: 0, stopped: false };
}

/**
 * Parses the whole lines text[from, to) of a page, continuing `state`: the page, or a piece of it
 * that ends at a line's end (a streamed page is parsed as its chunks arrive; exposition-stream.ts).
 */
export function parseLines(text: string, state: ParseState, from = 0, to = text.length): void {
  // The parse's own objects (state, result, options) are read here and not in the loop: optimised
  // code holds the hidden classes of the objects it saw weakly, and a collection between pages
  // that left no object of such a class threw the loop's code away (each page then ran it
  // deoptimised until compiled again: 40 pages of 1 MB between another parser's compiled it 18 times).
  const { result, options } = state;
  state.lineNo = scanLines(text, from, state.stopped ? from : to, state.lineNo, result.samples, result.wantedProblems, result.sawEof, result.problems, result.types, options.format === 'openmetrics', options.wants, options.labelCache, options.onSample, options.readPastEof === true, options.counters === true);
  result.samples = scanSamples;
  result.wantedProblems = scanWantedProblems;
  if (scanFirstWanted !== undefined) result.firstWantedProblem ??= scanFirstWanted;
  result.sawEof = scanSawEof;
  if (scanStopped) state.stopped = true;
}

/**
 * The last line of a page that ends without its newline: the page was cut short inside it (its
 * value may be cut too), so it is a problem, not a sample, and a problem of a watched metric when
 * its name is one (checkPage then fails the page, as a malformed watched line does). Blank text and
 * comments are nothing.
 */
export function skipCutLine(line: string, state: ParseState): void {
  const text = line.trim();
  if (text === '' || text.startsWith('#') || state.stopped) return;
  state.lineNo++;
  const name = /^[^\s{]*/.exec(text)![0];
  const problem: ExpositionProblem = { line: state.lineNo, message: `${clip(name)}: the page ends inside this line (no newline after it): cut short; line skipped` };
  state.result.problems.push(problem);
  if (state.options.wants?.(name) ?? true) {
    state.result.wantedProblems++;
    state.result.firstWantedProblem ??= problem;
  }
}

// What scanLines hands back besides the line number: set as it returns (no callback runs between
// that and parseLines reading them, so a parse inside a callback cannot change them).
let scanSamples = 0;
let scanWantedProblems = 0;
/** The first problem on a wanted line in the lines scanned last (undefined: none). */
let scanFirstWanted: ExpositionProblem | undefined;
let scanSawEof = false;
let scanStopped = false;

/** The lines text[pos, len) after line `lineNo`; returns the last line's number. */
function scanLines(
  text: string,
  pos: number,
  len: number,
  lineNo: number,
  samples: number,
  wantedProblems: number,
  sawEof: boolean,
  problems: ExpositionProblem[],
  types: Map<string, string>,
  openMetrics: boolean,
  wants: ((name: string) => boolean) | undefined,
  labelCache: LabelSetCache | undefined,
  onSample: ParseOptions['onSample'],
  readPastEof: boolean,
  counters: boolean,
): number {
  let stopped = false;
  scanFirstWanted = undefined;
  // Positions found in another text mean nothing in this one.
  labelNames.length = 0;
  distinctNames = 0;
  lastName = '';
  backslashAt = -1;
  const parse = ++parsesBegun;

  // The loop only finds lines; a sample line is read by readSampleLine, a small function the JIT
  // optimises once and keeps (one large function was recompiled on every page: most of the CPU of
  // a 1 MB page went to compiling it).
  while (pos < len) {
    lineNo++;
    let end = text.indexOf('\n', pos);
    if (end === -1 || end > len) end = len;
    let stop = end;
    if (stop > pos && text.charCodeAt(stop - 1) === CR) stop--;
    let i = pos;
    pos = end + 1;
    // Skip leading blanks; an empty line is nothing.
    while (i < stop && (text.charCodeAt(i) === SPACE || text.charCodeAt(i) === TAB)) i++;
    if (i === stop) continue;
    if (sawEof) {
      if (readPastEof) {
        problems.push({ line: lineNo, message: 'content after # EOF (files joined together?): read on' });
        sawEof = false;
      } else {
        problems.push({ line: lineNo, message: 'content after # EOF ignored' });
        stopped = true;
        break;
      }
    }
    if (text.charCodeAt(i) === HASH) {
      const parts = text.slice(i, stop).split(/\s+/);
      // Copies: a cut of the text would keep its whole piece for as long as the parse's result lives
      // (a replay file's: the whole backtest).
      if (parts[1] === 'TYPE' && parts[2] && parts[3]) types.set(detached(parts[2]), detached(parts[3]));
      else if (parts[1] === 'EOF' && parts.length === 2) sawEof = true;
      continue;
    }
    lineWanted = false;
    try {
      readSampleLine(text, i, stop, openMetrics, wants, labelCache);
    } catch (error) {
      if (!(error instanceof LineError)) throw error;
      problems.push({ line: lineNo, message: detached(`${error.message}; line skipped`) });
      if (lineWanted) {
        wantedProblems++;
        scanFirstWanted ??= problems[problems.length - 1];
      }
      continue;
    }
    if (!Number.isFinite(lineValue)) {
      problems.push({ line: lineNo, message: detached(`${clip(lineName)}: value ${formatValue(lineValue)} is not a finite number; sample skipped`) });
      if (lineWanted) {
        wantedProblems++;
        scanFirstWanted ??= problems[problems.length - 1];
      }
      continue;
    }
    // A watched series is a counter (or an info metric's 1): below zero, its exporter is broken,
    // and read on, it was a reset of the whole counter.
    if (counters && lineWanted && lineValue < 0) {
      problems.push({ line: lineNo, message: detached(`${clip(lineName)}: value ${lineValue} is negative, which a counter never is; sample skipped`) });
      wantedProblems++;
      scanFirstWanted ??= problems[problems.length - 1];
      continue;
    }
    samples++;
    if (lineWanted) {
      onSample(lineName, lineLabels, lineValue, lineTimestampMs, lineNo);
      if (parsesBegun !== parse) {
        lastName = '';
        backslashAt = -1;
      }
    }
  }
  // The strings read last are cut from this text, and would keep it alive until the next parse.
  lastName = '';
  lineName = '';
  lineLabels = EMPTY;
  labelNames.fill('');
  distinctNames = 0;
  seen.fill('');
  labelValues.fill('');
  scanSamples = samples;
  scanWantedProblems = wantedProblems;
  scanSawEof = sawEof;
  scanStopped = stopped;
  return lineNo;
}

/**
 * Reads the sample line text[i, stop) (i at its first non-blank character) into the line* variables:
 * name, labels (built only when wanted), value and timestamp. Throws LineError on a malformed line.
 */
function readSampleLine(text: string, i: number, stop: number, openMetrics: boolean, wants: ((name: string) => boolean) | undefined, cache: LabelSetCache | undefined): void {
  // Metric name: consecutive lines usually repeat it, and then the previous string is reused.
  if (!isNameStart(text.charCodeAt(i))) throw new LineError(`expected a metric name, found ${JSON.stringify(text.slice(i, Math.min(stop, i + 20)))}`);
  const nameStart = i;
  let name = lastName;
  // The name of the line before, when it is written here whole: one pass over it, no scan first.
  const after = nameStart + name.length;
  if (name.length > 0 && after <= stop && sameAt(text, nameStart, name) && !(after < stop && isNameChar(text.charCodeAt(after)))) i = after;
  else {
    while (i < stop && isNameChar(text.charCodeAt(i))) i++;
    name = text.slice(nameStart, i);
    lastName = name;
    lastWanted = wants === undefined || wants(name);
  }
  const wanted = lastWanted;
  lineName = name;
  lineWanted = wanted;
  let labels: Labels = EMPTY;
  if (text.charCodeAt(i) === LBRACE) {
    const predicted = cache !== undefined && wanted ? cache.predictedAt(text, i) : undefined;
    if (predicted !== undefined) {
      labels = predicted;
      i += cache!.predictedLength;
    } else if (cache !== undefined && wanted) {
      const end = labelSetEnd(text, i + 1, stop);
      const raw = end > 0 ? text.slice(i, end) : '';
      const hit = end > 0 ? cache.get(raw) : undefined;
      if (hit !== undefined) {
        labels = hit;
        i = end;
      } else {
        labels = parseLabels(text, i + 1, stop, name, true);
        // `a{}` is the same series as `a`: one shared empty label set for both.
        if (Object.keys(labels).length === 0) labels = EMPTY;
        else if (end > 0) labels = cache.set(raw, labels);
        i = labelsNext;
      }
    } else {
      const parsed = parseLabels(text, i + 1, stop, name, wanted);
      i = labelsNext;
      if (wanted) labels = parsed;
    }
  }
  lineLabels = labels;
  const c = text.charCodeAt(i);
  if (c !== SPACE && c !== TAB) throw new LineError(`${clip(name)}: expected a space before the value`);
  while (i < stop && (text.charCodeAt(i) === SPACE || text.charCodeAt(i) === TAB)) i++;
  // Value, then an optional timestamp; OpenMetrics exemplars follow " # ".
  // Found and, when it is 1 to 15 plain digits (most counters), read in the same pass.
  let valueEnd = i;
  let digits = 0;
  let plain = true;
  for (; valueEnd < stop; valueEnd++) {
    const ch = text.charCodeAt(valueEnd);
    if (ch === SPACE || ch === TAB) break;
    const d = ch - 48;
    if (d >= 0 && d <= 9) digits = digits * 10 + d;
    else plain = false;
  }
  if (valueEnd === i) throw new LineError(`${clip(name)}: missing value`);
  let j = valueEnd;
  while (j < stop && (text.charCodeAt(j) === SPACE || text.charCodeAt(j) === TAB)) j++;
  lineTimestampMs = j < stop && !(openMetrics && text.charCodeAt(j) === HASH) ? readTimestamp(text, j, stop, name, openMetrics) : Number.NaN;
  // Plain digits (most counters) are read in place; anything else goes through the full grammar.
  let value: number | undefined = plain && valueEnd - i <= 15 ? digits : Number.NaN;
  if (Number.isNaN(value)) {
    const valueText = text.slice(i, valueEnd);
    value = parseSampleValue(valueText);
    if (value === undefined) throw new LineError(`${clip(name)}: value ${JSON.stringify(clip(valueText))} is not a number`);
  }
  lineValue = value;
}

/** The timestamp starting at text[j] (a non-blank), in milliseconds; nothing but an exemplar may follow it. */
function readTimestamp(text: string, j: number, stop: number, name: string, openMetrics: boolean): number {
  let tsEnd = j;
  while (tsEnd < stop && text.charCodeAt(tsEnd) !== SPACE && text.charCodeAt(tsEnd) !== TAB) tsEnd++;
  let k = tsEnd;
  while (k < stop && (text.charCodeAt(k) === SPACE || text.charCodeAt(k) === TAB)) k++;
  if (k < stop && !(openMetrics && text.charCodeAt(k) === HASH)) throw new LineError(`${clip(name)}: unexpected text after the timestamp`);
  let ts = digitsValue(text, j, tsEnd);
  if (Number.isNaN(ts)) {
    const tsText = text.slice(j, tsEnd);
    ts = Number(tsText);
    if (!Number.isFinite(ts) || (!openMetrics && !Number.isInteger(ts))) {
      throw new LineError(`${clip(name)}: timestamp ${JSON.stringify(clip(tsText))} is not ${openMetrics ? 'a number of seconds' : 'an integer of milliseconds'}`);
    }
  }
  return openMetrics ? Math.round(ts * 1000) : ts;
}

/** Why a page that answered 200 is still not data. Each is also a SourceErrorReason. */
export type PageFault = 'not_exposition' | 'unreadable' | 'no_watched_series';

export interface PageFacts {
  contentType: string;
  /** The page's text, or its opening (its first non-blank character and a few after it are looked at). */
  text: string;
  parse: Pick<ParseResult, 'samples' | 'problems' | 'wantedProblems' | 'firstWantedProblem'>;
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
  const { samples, problems, wantedProblems } = facts.parse;
  // A malformed line of a watched metric may be a watched series (its labels could not be read):
  // the page read without it would count that series as gone (an outage, or errors read as 0), so
  // the page is no data, as Prometheus fails such a scrape.
  if (wantedProblems > 0 && facts.watchedSamples > 0) {
    const first = facts.parse.firstWantedProblem ?? problems[0];
    return { fault: 'unreadable', message: `${wantedProblems} line(s) of watched metrics malformed or not finite: the page is not read, as Prometheus fails such a scrape (first: line ${first?.line}: ${first?.message})` };
  }
  if (facts.watchedSamples > 0) return undefined;
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

/** The 1-based column of `at` within its line (for messages only: it scans back to the line start). */
function columnOf(text: string, at: number): number {
  return at - text.lastIndexOf('\n', at - 1);
}

/** Where parseLabels stopped: the index after the `}` (a module variable, so no result object is made per line). */
let labelsNext = 0;
/** The next backslash on the page at or after the last label value read (the page's length when none is left). */
let backslashAt = -1;
/** Label names of the last label set parsed, by position: the next line usually repeats them. */
const labelNames: string[] = [];
/**
 * How many of labelNames' first positions hold names known to be pairwise distinct (a label set
 * that held them passed its duplicate check, and none has changed since): a line that repeats them
 * position by position cannot give a name twice among them.
 */
let distinctNames = 0;
/** The names of the label set being parsed (duplicates are checked against these): its first entries. */
const seen: string[] = [];
/** The values of the label set being parsed, by position (beside `seen`): its first entries. */
const labelValues: string[] = [];

/** Builds a label set from its values by position; one for each distinct sequence of names. */
type LabelsFactory = (values: readonly string[]) => Labels;

/** Factories by label names joined with NUL; bounded (a page of ever-new label names falls back). */
const factories = new Map<string, LabelsFactory>();
const MAX_FACTORIES = 4096;
let lastShape: readonly string[] = [];
let lastFactory: LabelsFactory | undefined;

/**
 * The label set of the first `n` `names` and `values`, properties in the order written.
 * Objects built by a store per property on an empty object go through V8's generic keyed store,
 * most of a label-heavy page's CPU; an object literal per sequence of names (one small function
 * made once per shape, names being [a-zA-Z_][a-zA-Z0-9_]*) builds each in one step, with the
 * same shape every time.
 */
function buildLabels(allNames: readonly string[], values: readonly string[], n: number): Labels {
  if (n === 0) return {};
  let factory = lastFactory;
  if (factory === undefined || lastShape.length !== n || !sameNames(lastShape, allNames)) {
    const names = allNames.slice(0, n);
    const key = names.join('\u0000');
    factory = factories.get(key);
    if (factory === undefined) {
      if (factories.size >= MAX_FACTORIES || names.includes('__proto__')) return labelsOneByOne(names, values);
      const fields = names.map((name, k) => `${name}: v[${k}]`).join(', ');
      factory = new Function('v', `return { ${fields} };`) as LabelsFactory;
      factories.set(key, factory);
    }
    lastShape = names;
    lastFactory = factory;
  }
  return factory(values);
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

/** A label set built one property at a time: `__proto__` (a no-op store, as it always was) and overflow. */
function labelsOneByOne(names: readonly string[], values: readonly string[]): Labels {
  const labels: Labels = {};
  for (let k = 0; k < names.length; k++) labels[names[k]!] = values[k]!;
  return labels;
}

/**
 * The value of text[from, to) when it is 1 to 15 plain decimal digits (exact in a double), else NaN:
 * counters and millisecond timestamps are read without a substring.
 */
function digitsValue(text: string, from: number, to: number): number {
  const n = to - from;
  if (n < 1 || n > 15) return Number.NaN;
  let v = 0;
  for (let k = from; k < to; k++) {
    const d = text.charCodeAt(k) - 48;
    if (d < 0 || d > 9) return Number.NaN;
    v = v * 10 + d;
  }
  return v;
}

/**
 * Whether `s` is written at text[at...] (a loop: cheaper than a builtin call for short names). A
 * slice and one comparison read twice as fast alone on a page's names and label sets, but the
 * slices' garbage made the 100k-series scrape's read slower in the tick (0.36-0.44 s against
 * 0.25-0.35 s).
 */
function sameAt(text: string, at: number, s: string): boolean {
  for (let k = 0; k < s.length; k++) if (text.charCodeAt(at + k) !== s.charCodeAt(k)) return false;
  return true;
}

/** The label value text[from, to) with its escapes (`\\n`, `\\\\`, `\\"`, already checked) resolved. */
function unescapeValue(text: string, from: number, to: number): string {
  let out = '';
  let chunk = from;
  for (let k = from; k < to; k++) {
    if (text.charCodeAt(k) !== BACKSLASH) continue;
    out += text.slice(chunk, k);
    k++;
    out += text.charCodeAt(k) === 110 ? '\n' : text[k]!;
    chunk = k + 1;
  }
  return out + text.slice(chunk, to);
}

/**
 * The index after the `}` that closes a label set starting at `from` (after the `{`), or -1 when the
 * line ends first. Only finds the end; parseLabels judges the content.
 */
function labelSetEnd(text: string, from: number, stop: number): number {
  let i = from;
  let quoted = false;
  while (i < stop) {
    const c = text.charCodeAt(i);
    if (quoted) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) quoted = false;
    } else if (c === QUOTE) quoted = true;
    else if (c === RBRACE) return i + 1;
    i++;
  }
  return -1;
}

/**
 * Parses `name="value",...}` from `from` (after the `{`); returns the labels (built only when
 * `build`) and sets `labelsNext` to the index after the `}`. Columns in messages are 1-based within the line.
 */
function parseLabels(text: string, from: number, stop: number, metric: string, build: boolean): Labels {
  // Counted, not emptied: setting an array's length is a call into the runtime, once a line.
  let count = 0;
  let i = from;
  for (let position = 0; ; position++) {
    while (text.charCodeAt(i) === SPACE) i++;
    if (i >= stop) throw new LineError(`${clip(metric)}: expected ',' or '}' at column ${columnOf(text, i)}`);
    if (text.charCodeAt(i) === RBRACE) {
      labelsNext = i + 1;
      if (count > distinctNames) distinctNames = count;
      return build ? buildLabels(seen, labelValues, count) : EMPTY;
    }
    if (!isLabelStart(text.charCodeAt(i))) throw new LineError(`${clip(metric)}: expected a label name at column ${columnOf(text, i)}`);
    const nameStart = i;
    // The same name at the same position as on the last line: reuse its string (no substring, and
    // one pass over it).
    const known = labelNames[position];
    let labelName: string;
    let repeated = false;
    if (known !== undefined && sameAt(text, nameStart, known) && !isLabelChar(text.charCodeAt(nameStart + known.length))) {
      labelName = known;
      i = nameStart + known.length;
      repeated = true;
    } else {
      while (i < stop && isLabelChar(text.charCodeAt(i))) i++;
      labelName = text.slice(nameStart, i);
      labelNames[position] = labelName;
      if (position < distinctNames) distinctNames = position;
    }
    while (text.charCodeAt(i) === SPACE) i++;
    if (text.charCodeAt(i) !== EQUALS) throw new LineError(`${clip(metric)}: label ${clip(labelName)}: expected '=' at column ${columnOf(text, i)}`);
    i++;
    while (text.charCodeAt(i) === SPACE) i++;
    if (text.charCodeAt(i) !== QUOTE) throw new LineError(`${clip(metric)}: label ${clip(labelName)}: expected a quoted value at column ${columnOf(text, i)}`);
    i++;
    const valueStart = i;
    let escaped = false;
    // Most values hold no escape: their end is found by the runtime's own search for the quote, and
    // one search for the next backslash on the page serves every value before it.
    if (backslashAt < valueStart) {
      backslashAt = text.indexOf('\\', valueStart);
      if (backslashAt === -1) backslashAt = text.length;
    }
    const quote = text.indexOf('"', valueStart);
    if (quote !== -1 && quote < stop && quote < backslashAt) i = quote;
    else for (;;) {
      if (i >= stop) throw new LineError(`${clip(metric)}: label ${clip(labelName)}: unterminated value`);
      const c = text.charCodeAt(i);
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        const next = text.charCodeAt(i + 1);
        if (next !== 110 && next !== BACKSLASH && next !== QUOTE) {
          throw new LineError(`${clip(metric)}: label ${clip(labelName)}: invalid escape \\${i + 1 < stop ? text[i + 1] : ''} at column ${columnOf(text, i)}`);
        }
        escaped = true;
        i += 2;
        continue;
      }
      i++;
    }
    if (build) {
      // A name repeated at a position whose names, and all before it, are known distinct needs no check.
      if (!(repeated && position < distinctNames)) for (let k = 0; k < count; k++) if (seen[k] === labelName) throw new LineError(`${clip(metric)}: label ${clip(labelName)}: given twice`);
      seen[count] = labelName;
      labelValues[count] = escaped ? unescapeValue(text, valueStart, i) : text.slice(valueStart, i);
      count++;
    }
    i++;
    while (text.charCodeAt(i) === SPACE) i++;
    const c = text.charCodeAt(i);
    if (c === COMMA) {
      i++;
      continue;
    }
    if (c === RBRACE) {
      labelsNext = i + 1;
      if (count > distinctNames) distinctNames = count;
      return build ? buildLabels(seen, labelValues, count) : EMPTY;
    }
    throw new LineError(`${clip(metric)}: expected ',' or '}' at column ${columnOf(text, i)}`);
  }
}
