// The counter selectors of configured signals, for the sources that read raw counters.

import type { MarkerConfig, SignalConfig } from '../config/load.js';
import { SnapshotFrameBuilder } from '../series/snapshot-frames.js';
import type { Selector } from '../core/selector.js';

export function frameBuilderFor(signals: readonly SignalConfig[], markers: readonly MarkerConfig[] = []): SnapshotFrameBuilder {
  return new SnapshotFrameBuilder(
    signals.map((s) => ({
      name: s.name,
      // Config loading guarantees a selector on every input of a scrape or replay source.
      inputs: Object.fromEntries(Object.entries(s.inputs).map(([k, v]) => [k, v.selector as Selector])),
      by: s.by,
    })),
    markers.filter((m) => m.selector).map((m) => ({ name: m.name, selector: m.selector! })),
  );
}
