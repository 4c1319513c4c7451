// Reads /metrics exposition text directly (a sidecar with no Prometheus server): parses it,
// and turns the selected counters into rates between scrapes. A page that answered but is not
// data (HTML, nothing readable, none of the watched series) is a failed read with a reason, and its
// frame is all NaN: no data, never zero traffic.

import type { MarkerConfig, SignalConfig } from '../config/load.js';
import { SourceError, classifyFetchError } from '../core/errors.js';
import { redactUrl } from '../core/log.js';
import { type Frame, type Labels, emptySample } from '../core/types.js';
import { seriesKey } from '../series/series-key.js';
import type { SnapshotFrameBuilder } from '../series/snapshot-frames.js';
import { frameBuilderFor } from './signal-selectors.js';
import { forEachBodyChunk } from './read-body.js';
import { type ExpositionFormat, type ExpositionProblem, LabelSetCache, type ParseOptions, type ParseResult as ExpositionParse, checkPage } from './exposition.js';
import { ExpositionStream } from './exposition-stream.js';
import { type Selector, matchesSelector } from '../core/selector.js';
import type { LiveSource, SourceRead } from './source.js';

export interface ScrapeOptions {
  url: string;
  timeoutMs: number;
  maxBytes: number;
  fetch?: typeof fetch;
}

const ACCEPT = 'application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=1';

export interface OfferedSample {
  name: string;
  labels: Labels;
  value: number;
  line: number;
}

export class ScrapeSource implements LiveSource {
  private readonly builder: SnapshotFrameBuilder;
  private readonly fetchFn: typeof fetch;
  private readonly signalNames: string[];
  /** Every signal input's selector: a page must carry at least one of these series to be data. */
  private readonly watched: Selector[];
  /** The URL as logs and errors show it (credentials removed). */
  private readonly shownUrl: string;
  /** Label sets of the last two pages: a series' labels are built and resolved once, not every scrape. */
  private readonly labelCache = new LabelSetCache();

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
    const offered: OfferedSample[] = [];
    let watchedSamples = 0;
    let page: { contentType: string; head: string; result: ExpositionParse };
    try {
      page = await this.fetchPage((format) => ({
        format,
        wants: (name) => this.builder.wants(name),
        labelCache: this.labelCache,
        onSample: (name, labels, value, _timestampMs, line) => {
          offered.push({ name, labels, value, line });
          if (watchedSamples === 0 && this.watched.some((s) => matchesSelector(s, name, labels))) watchedSamples++;
        },
      }));
    } catch (error) {
      const failure = error instanceof SourceError ? error : new SourceError('bad_response', String(error), true);
      return this.failed(nowMs, failure, []);
    }
    this.labelCache.endPage();
    const { contentType, head, result } = page;
    const fault = checkPage({ contentType, text: head, parse: result, watchedSamples });
    if (fault) return this.failed(nowMs, new SourceError(fault.fault, `scrape ${this.shownUrl}: ${fault.message}`, true), result.problems);
    const { kept, duplicates } = dropDuplicates(offered);
    this.builder.begin();
    for (const s of kept) this.builder.offer(s.name, s.labels, s.value);
    return { frame: this.builder.end(nowMs), errors: [], problems: [...result.problems, ...duplicates], duplicates: duplicates.length };
  }

  /** No snapshot: every input of every signal is unknown at this tick. */
  private failed(nowMs: number, failure: SourceError, problems: ExpositionProblem[]): SourceRead {
    const frame: Frame = { timeMs: nowMs, signals: new Map(this.signalNames.map((n) => [n, emptySample()])) };
    return { frame, errors: [failure], problems };
  }

  /** Fetches the page and parses it as it streams in, with the options its Content-Type calls for. */
  private async fetchPage(optionsFor: (format: ExpositionFormat) => ParseOptions): Promise<{ contentType: string; head: string; result: ExpositionParse }> {
    const { url, timeoutMs, maxBytes } = this.options;
    const what = `scrape ${this.shownUrl}`;
    let response: Response;
    try {
      response = await this.fetchFn(url, { headers: { accept: ACCEPT }, signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      throw classifyFetchError(error, what, timeoutMs);
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new SourceError('http_status', `${what}: HTTP ${response.status}`, response.status >= 500 || response.status === 429);
    }
    const contentType = response.headers.get('content-type') ?? '';
    const stream = new ExpositionStream(optionsFor(contentType.includes('openmetrics') ? 'openmetrics' : 'text'));
    await forEachBodyChunk(response, maxBytes, what, timeoutMs, (chunk) => stream.push(chunk));
    const result = stream.end();
    return { contentType, head: stream.head, result };
  }
}

/**
 * Duplicate series on one page (the same name and labels twice, without timestamps), as Prometheus's
 * scrape loop handles them (scrape/scrape.go: a series already seen in this scrape, keyed by its text
 * as exposed, is ErrDuplicateSampleForTimestamp; the sample is dropped and counted in
 * prometheus_target_scrapes_sample_duplicate_timestamp_total, the page is still ingested): the first
 * sample is kept, each later one dropped and reported. Never summed. Keyed, like Prometheus, by the
 * labels in the order written (no sort): O(samples), cheap next to the parse.
 */
export function dropDuplicates(samples: readonly OfferedSample[]): { kept: readonly OfferedSample[]; duplicates: ExpositionProblem[] } {
  const seen = new Map<string, number>();
  // Label sets from a LabelSetCache are one frozen object per text as written: keyed by identity,
  // with no key string built per sample. Most sets appear under one name: the first sample's index
  // is all that is kept for a set, and a map of names only for a set seen under a second name.
  const firstOfSet = new Map<Labels, number>();
  const namesOfSet = new Map<Labels, Map<string, number>>();
  // The samples themselves while none is dropped (no copy of a page's samples on a clean page).
  let kept: OfferedSample[] | undefined;
  const duplicates: ExpositionProblem[] = [];
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i]!;
    let firstLine: number | undefined;
    if (Object.isFrozen(s.labels)) {
      const at = firstOfSet.get(s.labels);
      if (at === undefined) firstOfSet.set(s.labels, i);
      else {
        const first = samples[at]!;
        if (first.name === s.name) firstLine = first.line;
        else {
          let names = namesOfSet.get(s.labels);
          if (!names) namesOfSet.set(s.labels, (names = new Map([[first.name, first.line]])));
          firstLine = names.get(s.name);
          if (firstLine === undefined) names.set(s.name, s.line);
        }
      }
    } else {
      let key = s.name;
      for (const k in s.labels) key += `\u0000${k}\u0001${s.labels[k]}`;
      firstLine = seen.get(key);
      if (firstLine === undefined) seen.set(key, s.line);
    }
    if (firstLine === undefined) {
      kept?.push(s);
      continue;
    }
    kept ??= samples.slice(0, i);
    duplicates.push({ line: s.line, message: `duplicate series ${seriesKey(s.name, s.labels)} (first on line ${firstLine}): sample dropped, the first one kept, as Prometheus does` });
  }
  return { kept: kept ?? samples, duplicates };
}
