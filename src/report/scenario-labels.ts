// A replay file's labelled incident windows and deploys, when a scenario description (X.json beside
// X.om or X.om.gz, as fixtures/scenarios has) exists: the report measures delays from them.

import { existsSync, readFileSync } from 'node:fs';

export interface LabelledMarkers {
  file: string;
  name: string;
  faults: { kind: string; startsAtMs: number; endsAtMs: number }[];
  deploysMs: number[];
}

/** A bundled scenario's description (fixtures/scenarios/X.json). */
interface ScenarioDescription {
  name: string;
  faults: { kind: string; startsAt: string; endsAt: string }[];
  deploys: string[];
}

/** A recording's description (fixtures/recorded/X.json): one fault, by its onset and end. */
interface RecordingDescription {
  signal: string;
  scenario: string;
  fault: string;
  onset: string;
  faultEnd: string;
}

export function labelsBeside(replayFile: string): LabelledMarkers | undefined {
  const file = replayFile.replace(/\.om(\.gz)?$/, '.json');
  if (file === replayFile || !existsSync(file)) return undefined;
  try {
    const raw = JSON.parse(readFileSync(file, 'utf8')) as Partial<ScenarioDescription & RecordingDescription>;
    // A recording of real clients (fixtures/recorded) says its one fault by its onset and end.
    const faults = raw.faults ?? (typeof raw.onset === 'string' ? [{ kind: raw.fault ?? raw.scenario ?? 'fault', startsAt: raw.onset, endsAt: raw.faultEnd ?? raw.onset }] : []);
    const labelled = {
      file,
      name: raw.name ?? raw.signal ?? file,
      faults: faults.map((f) => ({ kind: f.kind, startsAtMs: Date.parse(f.startsAt), endsAtMs: Date.parse(f.endsAt) })).filter((f) => Number.isFinite(f.startsAtMs)),
      deploysMs: (raw.deploys ?? []).map((d) => Date.parse(d)).filter(Number.isFinite),
    };
    // A JSON file beside the data that labels nothing is no labels (the report said "labels from"
    // it, then found no fault in them).
    return labelled.faults.length > 0 || labelled.deploysMs.length > 0 ? labelled : undefined;
  } catch {
    return undefined;
  }
}
