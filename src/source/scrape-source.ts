// Reads /metrics exposition text directly (a sidecar with no Prometheus server): parses it,
// and turns the selected counters into rates between scrapes. A page that answered but is not
// data (HTML, nothing readable, none of the watched series) is a failed read with a reason, and its
// frame is all NaN: no data, never zero traffic.

import type { MarkerConfig, SignalConfig } from '../config/load.js';
import { SourceError, classifyFetchError, refusedCredentialsHint, stoppedError } from '../core/errors.js';
import { redactUrl } from '../core/log.js';
import { type AbsentErrorMetric, type Frame, type Labels, emptySample } from '../core/types.js';
import { seriesKey } from '../series/series-key.js';
import { MISSED_FOR_MS } from '../series/counter-rate.js';
import type { SnapshotFrameBuilder } from '../series/snapshot-frames.js';
import { frameBuilderFor } from './signal-selectors.js';
import { forEachBodyChunk } from './read-body.js';
import { type ExpositionFormat, type ExpositionProblem, LabelSetCache, type ParseOptions, type ParseResult as ExpositionParse, checkPage } from './exposition.js';
import { detached } from '../core/detached.js';
import { ExpositionStream } from './exposition-stream.js';
import { type Selector, matchesSelector } from '../core/selector.js';
import type { LiveSource, SourceRead } from './source.js';

export interface ScrapeOptions {
  url: string;
  timeoutMs: number;
  maxBytes: number;
  fetch?: typeof fetch;
  /** Where the source's settings are in the configuration (source.scrape): named in hints. */
  setting?: string;
}

const ACCEPT = 'application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=1';

/**
 * A page's wanted samples, held until the page is judged to be data: columns reused from one scrape
 * to the next. An object a sample was 300k objects a scrape at 100k series, each living through
 * the page's fetch and so promoted into the old generation before it became garbage.
 */
class OfferedSamples {
  count = 0;
  /**
   * The metric names by runs: run r's samples, from runStarts[r] up to the next run's start, are of
   * runNames[r]. A page writes a metric's samples together, and a name a sample was a store a sample.
   */
  runNames: string[] = [];
  runStarts: number[] = [];
  labels: (Labels | undefined)[] = [];
  values = new Float64Array(1024);
  lines = new Int32Array(1024);

  /** The page's metric names, each in storage of its own (see `intern`), and the last one pushed. */
  private readonly nameCopies = new Map<string, string>();
  private lastName = '';

  push(name: string, labels: Labels, value: number, line: number): void {
    const i = this.count++;
    if (i === this.values.length) this.grow();
    if (name !== this.lastName) {
      this.lastName = name;
      const copy = this.intern(name);
      if (copy !== this.runNames.at(-1)) {
        this.runNames.push(copy);
        this.runStarts.push(i);
      }
    }
    this.labels[i] = labels;
    this.values[i] = value;
    this.lines[i] = line;
  }

  /** Lets the label sets go (the cache forgets sets a page no longer has); the columns stay for the next page. */
  clear(): void {
    this.labels.fill(undefined, 0, this.count);
    this.runNames.length = 0;
    this.runStarts.length = 0;
    this.lastName = '';
    this.count = 0;
  }

  /**
   * The parser cuts a metric name from the page piece it is read in, and such a substring keeps the
   * whole piece (64 KB) alive: held here until the page is judged, they kept the page's text
   * through the read, into the old generation. A copy (`detached`) per distinct name instead.
   */
  private intern(name: string): string {
    let copy = this.nameCopies.get(name);
    if (copy === undefined) {
      if (this.nameCopies.size >= 1024) this.nameCopies.clear();
      copy = detached(name);
      this.nameCopies.set(copy, copy);
    }
    return copy;
  }

  private grow(): void {
    const values = new Float64Array(2 * this.values.length);
    values.set(this.values);
    this.values = values;
    const lines = new Int32Array(2 * this.lines.length);
    lines.set(this.lines);
    this.lines = lines;
  }
}

export class ScrapeSource implements LiveSource {
  private readonly builder: SnapshotFrameBuilder;
  private readonly fetchFn: typeof fetch;
  private readonly signalNames: string[];
  /** Every signal input's selector: a page must carry at least one of these series to be data. */
  private readonly watched: Selector[];
  /** The URL as logs and errors show it (credentials removed). */
  private readonly shownUrl: string;
  /**
   * Label sets of the pages of the last five minutes: a series' labels are built and resolved once,
   * not every scrape, and a series back within them is the same series (its counter goes on).
   */
  private readonly labelCache = new LabelSetCache(MISSED_FOR_MS);
  private readonly offered = new OfferedSamples();
  /** Pages read that were data: until one is, nothing can be said of which metrics exist. */
  private pagesRead = 0;
  /** Aborted by close: the page in flight is not waited for. */
  private readonly closing = new AbortController();

  constructor(
    private readonly options: ScrapeOptions,
    signals: readonly SignalConfig[],
    markers: readonly MarkerConfig[] = [],
  ) {
    this.fetchFn = options.fetch ?? fetch;
    this.signalNames = signals.map((s) => s.name);
    this.watched = signals.flatMap((s) => Object.values(s.inputs).flatMap((i) => (i.selector ? [i.selector] : [])));
    this.builder = frameBuilderFor(signals, markers);
    this.shownUrl = redactUrl(options.url);
  }

  async read(nowMs: number): Promise<SourceRead> {
    // Parse into a buffer first, as the body arrives: only a page judged to be data reaches the
    // counters, so a bad page leaves them as they were and the next good scrape's rate spans the gap.
    const offered = this.offered;
    offered.clear();
    let watchedSamples = 0;
    let page: { contentType: string; head: string; result: ExpositionParse };
    try {
      page = await this.fetchPage((format) => ({
        format,
        wants: (name) => this.builder.wants(name),
        labelCache: this.labelCache,
        counters: true,
        onSample: (name, labels, value, _timestampMs, line) => {
          offered.push(name, labels, value, line);
          if (watchedSamples === 0 && this.watched.some((s) => matchesSelector(s, name, labels))) watchedSamples++;
        },
      }));
    } catch (error) {
      this.labelCache.dropPage();
      const failure = error instanceof SourceError ? error : new SourceError('bad_response', String(error), true);
      return this.failed(nowMs, failure, []);
    }
    const { contentType, head, result } = page;
    const fault = checkPage({ contentType, text: head, parse: result, watchedSamples });
    if (fault) {
      // Not data: its label sets are let go, and the last good page's are kept for the next.
      this.labelCache.dropPage();
      return this.failed(nowMs, new SourceError(fault.fault, `scrape ${this.shownUrl}: ${fault.message}`, true), result.problems);
    }
    this.labelCache.endPage(nowMs);
    this.pagesRead++;
    // A series the page repeats: the first sample counts, each later one is dropped and reported (offerOnce).
    const duplicates: ExpositionProblem[] = [];
    this.builder.begin();
    const { runNames, runStarts, labels, values, lines } = offered;
    for (let r = 0; r < runNames.length; r++) {
      const name = runNames[r]!;
      const end = r + 1 < runStarts.length ? runStarts[r + 1]! : offered.count;
      for (let i = runStarts[r]!; i < end; i++) {
        const firstLine = this.builder.offerOnce(name, labels[i]!, values[i]!, lines[i]!);
        if (firstLine !== undefined) duplicates.push({ line: lines[i]!, message: `duplicate series ${seriesKey(name, labels[i]!)} (first on line ${firstLine}): sample dropped, the first one kept, as Prometheus does` });
      }
    }
    offered.clear();
    const frame = this.builder.end(nowMs);
    const held = this.builder.heldRates;
    return { frame, errors: [], problems: [...result.problems, ...duplicates], duplicates: duplicates.length, ...(held.length > 0 ? { held: [...held] } : {}) };
  }

  recycle(frame: Frame): void {
    this.builder.recycle(frame);
  }

  async absentErrorMetrics(): Promise<AbsentErrorMetric[] | undefined> {
    return this.pagesRead === 0 ? undefined : this.builder.absentErrorMetrics();
  }

  /** No snapshot: every input of every signal is unknown at this tick. */
  private failed(nowMs: number, failure: SourceError, problems: ExpositionProblem[]): SourceRead {
    const frame: Frame = { timeMs: nowMs, signals: new Map(this.signalNames.map((n) => [n, emptySample()])) };
    return { frame, errors: [failure], problems };
  }

  close(): void {
    this.closing.abort();
  }

  /** Fetches the page and parses it as it streams in, with the options its Content-Type calls for. */
  private async fetchPage(optionsFor: (format: ExpositionFormat) => ParseOptions): Promise<{ contentType: string; head: string; result: ExpositionParse }> {
    const { url, timeoutMs, maxBytes } = this.options;
    const what = `scrape ${this.shownUrl}`;
    let response: Response;
    try {
      response = await this.fetchFn(url, { headers: { accept: ACCEPT }, signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), this.closing.signal]) });
    } catch (error) {
      if (this.closing.signal.aborted) throw stoppedError(what);
      throw classifyFetchError(error, what, timeoutMs, this.options.setting);
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new SourceError('http_status', `${what}: HTTP ${response.status}${refusedCredentialsHint(response.status, this.options.setting)}`, response.status >= 500 || response.status === 429);
    }
    const contentType = response.headers.get('content-type') ?? '';
    const stream = new ExpositionStream(optionsFor(contentType.includes('openmetrics') ? 'openmetrics' : 'text'));
    await forEachBodyChunk(response, maxBytes, what, timeoutMs, (chunk) => stream.push(chunk));
    const result = stream.end(true);
    return { contentType, head: stream.head, result };
  }
}
