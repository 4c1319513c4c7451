// A replay file's labelled incident windows and deploys, when a scenario description (X.json beside
// X.om or X.om.gz, as fixtures/scenarios has) exists: the report measures delays from them.

import { existsSync, readFileSync } from 'node:fs';

export interface LabelledMarkers {
  file: string;
  name: string;
  faults: { kind: string; startsAtMs: number; endsAtMs: number }[];
  deploysMs: number[];
}

export function labelsBeside(replayFile: string): LabelledMarkers | undefined {
  const file = replayFile.replace(/\.om(\.gz)?$/, '.json');
  if (file === replayFile || !existsSync(file)) return undefined;
  try {
    const raw = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; faults?: { kind: string; startsAt: string; endsAt: string }[]; deploys?: string[] };
    return {
      file,
      name: raw.name ?? file,
      faults: (raw.faults ?? []).map((f) => ({ kind: f.kind, startsAtMs: Date.parse(f.startsAt), endsAtMs: Date.parse(f.endsAt) })).filter((f) => Number.isFinite(f.startsAtMs)),
      deploysMs: (raw.deploys ?? []).map((d) => Date.parse(d)).filter(Number.isFinite),
    };
  } catch {
    return undefined;
  }
}
