// Reads /metrics exposition text directly (a sidecar with no Prometheus server): parses it,
// and turns the selected counters into rates between scrapes.

import type { MarkerConfig, SignalConfig } from '../config/load.js';
import { SourceError, classifyFetchError } from '../core/errors.js';
import { emptySample } from '../core/types.js';
import type { SnapshotFrameBuilder } from '../series/snapshot-frames.js';
import { frameBuilderFor } from './signal-selectors.js';
import { readBodyCapped } from './read-body.js';
import { type ExpositionFormat, parseExposition } from './exposition.js';
import type { LiveSource, SourceRead } from './source.js';

export interface ScrapeOptions {
  url: string;
  timeoutMs: number;
  maxBytes: number;
  fetch?: typeof fetch;
}

const ACCEPT = 'application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=1';

export class ScrapeSource implements LiveSource {
  private readonly builder: SnapshotFrameBuilder;
  private readonly fetchFn: typeof fetch;
  private readonly signalNames: string[];

  constructor(
    private readonly options: ScrapeOptions,
    signals: readonly SignalConfig[],
    markers: readonly MarkerConfig[] = [],
  ) {
    this.fetchFn = options.fetch ?? fetch;
    this.signalNames = signals.map((s) => s.name);
    this.builder = frameBuilderFor(signals, markers);
  }

  async read(nowMs: number): Promise<SourceRead> {
    let text: string;
    let format: ExpositionFormat;
    try {
      ({ text, format } = await this.fetchPage());
    } catch (error) {
      const failure = error instanceof SourceError ? error : new SourceError('bad_response', String(error), true);
      // No snapshot: the next good scrape's rate spans the gap, so no traffic is lost or double counted.
      const frame = { timeMs: nowMs, signals: new Map(this.signalNames.map((n) => [n, emptySample()])) };
      return { frame, errors: [failure], problems: [] };
    }
    this.builder.begin();
    const result = parseExposition(text, { format, wants: (name) => this.builder.wants(name), onSample: (name, labels, value) => this.builder.offer(name, labels, value) });
    return { frame: this.builder.end(nowMs), errors: [], problems: result.problems };
  }

  private async fetchPage(): Promise<{ text: string; format: ExpositionFormat }> {
    const { url, timeoutMs, maxBytes } = this.options;
    let response: Response;
    try {
      response = await this.fetchFn(url, { headers: { accept: ACCEPT }, signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      throw classifyFetchError(error, `scrape ${url}`, timeoutMs);
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new SourceError('http_status', `scrape ${url}: HTTP ${response.status}`, response.status >= 500 || response.status === 429);
    }
    const text = await readBodyCapped(response, maxBytes, `scrape ${url}`, timeoutMs);
    const contentType = response.headers.get('content-type') ?? '';
    const format: ExpositionFormat = contentType.includes('openmetrics') ? 'openmetrics' : 'text';
    return { text, format };
  }
}
