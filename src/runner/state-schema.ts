// The schema of the saved state (state.bin, or an older version's state.json), checked section by
// section when it is loaded: a file from an older or newer stormwatch, an edit by hand or a disk
// fault costs the sections it broke, never the start.
// Pure. Sections are validated loosely (unknown fields pass) so the owners of each section may add
// to it; what is checked is what restoring relies on.

import { z } from 'zod';
import { plainState } from '../core/column-encoder.js';
import { timeZoneProblem } from '../core/wall-clock.js';
import type { PipelineSnapshot } from '../pipeline.js';
import { DEPLOY_SOURCES } from '../deploys/types.js';

const num = z.number();
/** JSON writes NaN as null. */
const numOrNull = z.number().nullable();
const labels = z.record(z.string(), z.string());

const baseline = z.looseObject({ values: z.array(num), anomalousSinceMs: numOrNull.optional(), partial: z.tuple([num, num, num]).optional() });
/** One detector entry: what restoring relies on (exported for the test of plainDetector). */
export const detector = z.looseObject({ rate: baseline, errorRatio: baseline, funnel: baseline });

const firingAlert = z.tuple([
  z.string(),
  z.looseObject({
    state: z.looseObject({ phase: z.literal('firing'), activeSinceMs: num, lastActiveMs: num }),
    labels,
    fingerprint: z.string().min(1),
    annotations: labels,
    startsAtMs: num,
  }),
]);

const ratios = z.looseObject({ completion: z.array(num), errorRatio: z.array(num) });
const deployWindow = z.looseObject({
  record: z.looseObject({
    id: z.string().min(1),
    service: z.string(),
    version: z.string(),
    environment: z.string(),
    startedAtMs: num,
    // Every source a record can have (a list of its own here once lost the deploys of Argo,
    // Flagger and HA peers, and every other window with them, at each restart).
    source: z.enum(DEPLOY_SOURCES),
    verdict: z.enum(['pending', 'pass', 'fail', 'inconclusive', 'superseded']),
    windowEndsAtMs: num,
    reasons: z.array(z.string()),
    evidence: z.array(z.unknown()),
  }),
  signals: z.array(z.string()),
  pre: z.array(z.tuple([z.string(), ratios])),
  post: z.array(z.tuple([z.string(), ratios])),
  probeFailures: z.array(z.string()).optional(),
  alerting: z.boolean().optional(),
});

const marker = z.looseObject({ seen: z.array(z.string()).nullable(), lastValue: numOrNull });
const probe = z.tuple([z.string(), z.looseObject({ failingSinceMs: num, failure: z.string() })]);

const ramp = z.looseObject({ before: z.array(num.nullable()), since: z.array(num.nullable()), runSinceMs: numOrNull });

/** Each section of the snapshot and its schema. `detectors` is checked entry by entry. */
const SECTIONS = {
  alerts: z.array(firingAlert),
  deploys: z.array(deployWindow),
  markers: z.record(z.string(), marker),
  probes: z.array(probe),
  ramps: z.record(z.string(), ramp),
  timeZones: z.record(z.string(), z.string().refine((zone) => timeZoneProblem(zone) === undefined, { message: 'not a time zone this runtime knows' })),
  movedTraffic: z.record(z.string(), num),
} as const;

export type StateSection = 'detectors' | keyof typeof SECTIONS;

export interface CheckedState {
  /** The usable part, or undefined when the file is not a stormwatch state at all. */
  snapshot?: PipelineSnapshot;
  /** Sections (or detector entries) that failed their schema and were left out. */
  bad: { section: StateSection; problem: string }[];
  /** Why the whole file is unusable. */
  unusable?: string;
}

/** Checks parsed saved state; keeps every section that passes its schema. */
export function checkState(json: unknown): CheckedState {
  const top = z.looseObject({ version: z.literal(1), savedAtMs: num }).safeParse(json);
  if (!top.success) return { bad: [], unusable: `not a stormwatch state (${describe(top.error)})` };
  const raw = json as Record<string, unknown>;
  const bad: CheckedState['bad'] = [];
  const snapshot: PipelineSnapshot = { version: 1, savedAtMs: top.data.savedAtMs, detectors: {}, alerts: [] };
  // Every save writes detectors and alerts: a file without them lost them.
  for (const required of ['detectors', 'alerts'] as const) if (raw[required] === undefined) bad.push({ section: required, problem: 'missing' });
  const detectors = raw.detectors ?? {};
  if (!isPlainObject(detectors)) bad.push({ section: 'detectors', problem: checked(z.record(z.string(), z.unknown()), detectors) ?? 'not an object' });
  else {
    for (const id of Object.keys(detectors)) {
      const state = (detectors as Record<string, unknown>)[id];
      // An entry left in the file's columns (DeferredState) is built to be checked and kept as it
      // is: the built copy dies young, and the entry is built again when its series is restored.
      const plain = plainState(state);
      if (plainDetector(plain)) {
        snapshot.detectors[id] = state;
        continue;
      }
      const ok = detector.safeParse(plain);
      if (ok.success) snapshot.detectors[id] = state;
      else bad.push({ section: 'detectors', problem: `${id}: ${describe(ok.error)}` });
    }
  }
  for (const [name, schema] of Object.entries(SECTIONS) as [keyof typeof SECTIONS, z.ZodType][]) {
    if (raw[name] === undefined) continue;
    const problem = name === 'ramps' ? rampsProblem(raw[name]) : checked(schema, raw[name]);
    if (problem === undefined) (snapshot as unknown as Record<string, unknown>)[name] = raw[name];
    else bad.push({ section: name, problem });
  }
  return { snapshot, bad };
}

/**
 * What `detector` accepts, checked without the schema's copy of each entry (a restart at 100k
 * series checks 100k of them): true only when the schema would pass it too; anything else goes to
 * the schema, which decides and names the problem.
 */
export function plainDetector(state: unknown): boolean {
  if (!isPlainObject(state)) return false;
  const d = state as Record<string, unknown>;
  return plainBaseline(d.rate) && plainBaseline(d.errorRatio) && plainBaseline(d.funnel);
}

function plainBaseline(b: unknown): boolean {
  if (!isPlainObject(b)) return false;
  const { values, anomalousSinceMs, partial } = b as Record<string, unknown>;
  if (!Array.isArray(values)) return false;
  for (let i = 0; i < values.length; i++) if (!isFiniteNumber(values[i])) return false;
  if (!(anomalousSinceMs === undefined || anomalousSinceMs === null || isFiniteNumber(anomalousSinceMs))) return false;
  if (partial === undefined) return true;
  return Array.isArray(partial) && partial.length === 3 && isFiniteNumber(partial[0]) && isFiniteNumber(partial[1]) && isFiniteNumber(partial[2]);
}

function isPlainObject(x: unknown): boolean {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isFiniteNumber(x: unknown): boolean {
  return typeof x === 'number' && Number.isFinite(x);
}

/** What is wrong with a section by its schema; undefined when it passes. */
function checked(schema: z.ZodType, value: unknown): string | undefined {
  const ok = schema.safeParse(value);
  return ok.success ? undefined : describe(ok.error);
}

/**
 * What is wrong with the ramps section (entries may be DeferredStates, each checked as the state it
 * builds); undefined when every entry passes. The first bad entry fails the section, as the
 * schema of the whole record did.
 */
function rampsProblem(section: unknown): string | undefined {
  if (!isPlainObject(section)) return checked(SECTIONS.ramps, section);
  for (const id of Object.keys(section as object)) {
    const problem = checked(ramp, plainState((section as Record<string, unknown>)[id]));
    if (problem !== undefined) return `${id}: ${problem}`;
  }
  return undefined;
}

function describe(error: z.ZodError): string {
  const issue = error.issues[0]!;
  return `${issue.path.join('.') || '(top level)'}: ${issue.message}`;
}
