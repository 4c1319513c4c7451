// Builds Frames from snapshots of raw counter samples (a scrape, or one timestamp of a replay file):
// routes each sample to the signal inputs whose selector matches it and turns counters into rates.

import type { Frame, Labels, MarkerSeries, SignalInput, SignalSample } from '../core/types.js';
import { type Selector, matchesSelector, selectorMetricName } from '../source/selector.js';
import { CounterRateTracker } from './counter-rate.js';
import { seriesKey } from './series-key.js';

export interface SignalSelectors {
  name: string;
  inputs: Partial<Record<SignalInput, Selector>>;
}

interface Route {
  selector: Selector;
  tracker: CounterRateTracker;
}

export interface MarkerSelector {
  name: string;
  selector: Selector;
}

export class SnapshotFrameBuilder {
  private readonly routesByName = new Map<string, Route[]>();
  private readonly unnamedRoutes: Route[] = [];
  private readonly outputs: { signal: string; input: SignalInput; tracker: CounterRateTracker }[] = [];
  private markerSeries = new Map<string, MarkerSeries[]>();

  constructor(
    signals: readonly SignalSelectors[],
    private readonly markers: readonly MarkerSelector[] = [],
  ) {
    for (const signal of signals) {
      for (const [input, selector] of Object.entries(signal.inputs) as [SignalInput, Selector][]) {
        const route: Route = { selector, tracker: new CounterRateTracker(input === 'errors') };
        const metric = selectorMetricName(selector);
        if (metric === undefined) this.unnamedRoutes.push(route);
        else this.routesByName.set(metric, [...(this.routesByName.get(metric) ?? []), route]);
        this.outputs.push({ signal: signal.name, input, tracker: route.tracker });
      }
    }
  }

  begin(): void {
    for (const output of this.outputs) output.tracker.begin();
    this.markerSeries = new Map(this.markers.map((m) => [m.name, []]));
  }

  offer(name: string, labels: Labels, value: number): void {
    const routes = this.routesByName.get(name);
    let key: string | undefined;
    if (routes) {
      for (const route of routes) {
        if (matchesSelector(route.selector, name, labels)) route.tracker.add((key ??= seriesKey(name, labels)), value);
      }
    }
    for (const route of this.unnamedRoutes) {
      if (matchesSelector(route.selector, name, labels)) route.tracker.add((key ??= seriesKey(name, labels)), value);
    }
    for (const marker of this.markers) {
      if (matchesSelector(marker.selector, name, labels)) this.markerSeries.get(marker.name)!.push({ labels, value });
    }
  }

  end(timeMs: number): Frame {
    const signals = new Map<string, SignalSample>();
    for (const output of this.outputs) {
      let sample = signals.get(output.signal);
      if (!sample) {
        sample = { requests: Number.NaN, errors: Number.NaN, downstream: Number.NaN };
        signals.set(output.signal, sample);
      }
      sample[output.input] = output.tracker.end(timeMs);
    }
    return this.markers.length > 0 ? { timeMs, signals, markers: this.markerSeries } : { timeMs, signals };
  }
}
