// Saves and loads the pipeline's state (baselines, firing alerts, deploy windows) atomically, so a
// restart mid-incident neither forgets the pre-incident baselines nor loses an alert's resolution.
// Firing alerts are also written on their own to firing.json, and the save before the last is kept
// as state.bin.prev: when state.bin is unreadable or loses a section, the firing alerts come from
// firing.json and any other section from the save before (at most a minute or one transition older),
// so firing alerts are re-derived rather than forgotten and their resolution still comes. A bad file
// is moved aside (quarantined), never a reason not to start.

import { closeSync, copyFileSync, existsSync, fsyncSync, openSync, readFileSync, readdirSync, renameSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { DecisionsSnapshot, PipelineSnapshot } from '../pipeline.js';
import { FiringCopyError, commitState, commitStateAsync, decidedFileOf, firingFileOf, fsyncAsync, replaceDurably, writeAll, writeDurably } from './durable-file.js';
import { BinaryStateWriter, isBinaryStateFile, readBinaryStateFile } from './state-binary.js';
import { fromColumns, toColumns } from './state-columns.js';
import { unpackDetectors } from './state-pack.js';
import { type CheckedState, type StateSection, checkState } from './state-schema.js';
import { makeDirs } from '../core/make-dirs.js';

/** The state file in the state directory: binary since the columns are written as raw bytes. */
export const STATE_FILE_NAME = 'state.bin';
/** What versions before the binary file wrote (JSON); still loaded when no state.bin exists yet. */
export const OLDER_STATE_FILE_NAME = 'state.json';

/**
 * The file to resume from in `dir`: state.bin (or what is left of it, its .prev), else an older
 * version's state.json, so an upgrade keeps its baselines and firing alerts. Saves always go to
 * state.bin; a state.json left behind is not read again once state.bin exists.
 */
export function stateFileToLoad(dir: string): string {
  const current = join(dir, STATE_FILE_NAME);
  if (existsSync(current) || existsSync(`${current}.prev`)) return current;
  const older = join(dir, OLDER_STATE_FILE_NAME);
  return existsSync(older) || existsSync(`${older}.prev`) ? older : current;
}

/** Quarantined copies kept per state file; older ones are removed. */
const KEEP_QUARANTINED = 3;

/** Strings this long are written as pieces of their own (the columns' base64), not copied into the JSON text. */
const PIECE_CHARS = 1 << 16;
let pieceNonce = 0;

/**
 * JSON of `value` as pieces: each long string that needs no escaping (base64) is its own piece
 * instead of being copied into one text of hundreds of megabytes. Joined, the pieces are exactly
 * JSON.stringify(value).
 */
export function jsonPieces(value: unknown): string[] {
  const long: string[] = [];
  const nonce = `${process.pid}.${pieceNonce++}.${Date.now()}`;
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v !== 'string' || v.length < PIECE_CHARS || !/^[A-Za-z0-9+/=]*$/.test(v)) return v;
    long.push(v);
    return `\u0001${nonce}:${long.length - 1}`;
  });
  if (long.length === 0) return [text];
  const pieces: string[] = [];
  let from = 0;
  for (let i = 0; i < long.length; i++) {
    // The placeholder as JSON writes it: U+0001 is escaped, so no other string can look like it.
    const placeholder = `"\\u0001${nonce}:${i}"`;
    const at = text.indexOf(placeholder, from);
    if (at < 0) return [JSON.stringify(value)];
    // Quotes stay with the text around: the long string itself is written as it is.
    pieces.push(text.slice(from, at + 1), long[i]!);
    from = at + placeholder.length - 1;
  }
  pieces.push(text.slice(from));
  return pieces;
}

/** A per-series section builder, as Pipeline.snapshot takes one. */
export type SectionBuilder = (entries: Iterable<[string, unknown]>) => Record<string, unknown>;

/**
 * Writes the state atomically (to FILE.tmp, synced, then renamed: a crash mid-write leaves the
 * save before in place); returns the bytes written. `state` is a snapshot, or makes one with the
 * section builder it is given (Pipeline.snapshot), so each series is written as it is encoded.
 * The file is binary (state-binary.ts); on a platform that is not little-endian, JSON as before.
 */
export function saveState(file: string, state: PipelineSnapshot | ((section: SectionBuilder) => PipelineSnapshot)): number {
  makeDirs(dirname(file));
  const make = typeof state === 'function' ? state : (section: SectionBuilder) => ({ ...state, detectors: section(Object.entries(state.detectors)), ...(state.ramps ? { ramps: section(Object.entries(state.ramps)) } : {}) });
  const tmp = `${file}.tmp`;
  let snapshot: PipelineSnapshot;
  let bytes: number;
  if (BinaryStateWriter.supported) {
    const fd = openSync(tmp, 'w');
    try {
      ({ snapshot, bytes } = writeBinary(fd, make));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } else {
    // Per-series state as columns (state-columns.ts) in a JSON text, written in pieces.
    snapshot = make(toColumns);
    bytes = writeDurably(tmp, jsonPieces(snapshot));
  }
  try {
    commitState(file, firingText(snapshot));
  } catch (error) {
    if (error instanceof FiringCopyError) error.bytes = bytes;
    throw error;
  }
  return bytes;
}

/**
 * saveState for a service's event loop: the same file, encoded and written at once (what is saved
 * is the state as it is now), but synced (the file, firing.json, the directory) on libuv's threads,
 * so a disk slow to sync (a network volume: seconds for 200 MB) holds up no request meanwhile.
 * Resolves with the bytes once the file is in place; the caller makes no other save meanwhile.
 */
export async function saveStateAsync(file: string, state: (section: SectionBuilder) => PipelineSnapshot): Promise<number> {
  if (!BinaryStateWriter.supported) return saveState(file, state);
  makeDirs(dirname(file));
  const fd = openSync(`${file}.tmp`, 'w');
  let snapshot: PipelineSnapshot;
  let bytes: number;
  try {
    ({ snapshot, bytes } = writeBinary(fd, state));
    await fsyncAsync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    await commitStateAsync(file, firingText(snapshot));
  } catch (error) {
    if (error instanceof FiringCopyError) error.bytes = bytes;
    throw error;
  }
  return bytes;
}

/** Encodes the state into the open file `fd` (state-binary.ts), each series written as it is made. */
function writeBinary(fd: number, make: (section: SectionBuilder) => PipelineSnapshot): { snapshot: PipelineSnapshot; bytes: number } {
  const writer = new BinaryStateWriter((b) => writeAll(fd, b));
  const snapshot = make(writer.section);
  return { snapshot, bytes: writer.finish(snapshot) };
}

/**
 * Writes what the pipeline has decided now (Pipeline.decisionsSnapshot: alerts, deploys, markers,
 * probes) beside the state file, durably, before their notifications go out: a state save is
 * asynchronous and coalesced, and a kill between a notification and the next save restored the
 * alerts from before it. Then the notification groups resolved the alert the state did not know,
 * and the detectors paged it again with a new startsAt.
 */
export function saveDecided(file: string, savedAtMs: number, decisions: DecisionsSnapshot): void {
  makeDirs(dirname(file));
  replaceDurably(decidedFileOf(file), JSON.stringify({ version: 1, savedAtMs, ...decisions }));
}

/** The sections decided.json holds, taken from it when it is newer than the state file. */
const DECIDED_SECTIONS = ['alerts', 'deploys', 'markers', 'probes'] as const;

/** firing.json's text for a snapshot. */
function firingText(snapshot: PipelineSnapshot): string {
  return JSON.stringify({ version: 1, savedAtMs: snapshot.savedAtMs, alerts: snapshot.alerts });
}

export interface LoadedState {
  snapshot?: PipelineSnapshot;
  /** Files moved or copied aside, each with what was wrong with it. One log line and metric each. */
  quarantined: { file: string; movedTo: string; problems: string[] }[];
  /** Sections taken from the save before, because the last save lost them. */
  fromPrevious: StateSection[];
  /** The firing alerts came from firing.json, because the state file lost them. */
  fromFiring?: boolean;
  /** Alerts, deploys, markers and probes came from decided.json, decided after the state file was saved. */
  fromDecided?: boolean;
}

/** The state as loadState reads it, before decided.json's newer alerts. */
function loadSaved(file: string, nowMs: number): LoadedState {

  const out: LoadedState = { quarantined: [], fromPrevious: [] };
  const main = readChecked(file);
  const needPrevious = !main || main.unusable !== undefined || main.bad.length > 0;
  const prev = needPrevious ? readChecked(`${file}.prev`) : undefined;
  if (main && (main.unusable !== undefined || main.bad.length > 0)) {
    const problems = main.unusable !== undefined ? [main.unusable] : main.bad.map((b) => `${b.section}: ${b.problem}`);
    // An unusable file is moved away; a partly bad one is copied, its good sections still used.
    out.quarantined.push({ file, movedTo: quarantine(file, nowMs, main.unusable !== undefined), problems });
  }
  const usable = (c: CheckedState | undefined) => (c && c.unusable === undefined ? c.snapshot : undefined);
  const base = usable(main);
  const before = usable(prev);
  noteBad(out, `${file}.prev`, prev, nowMs);
  const alertsLost = !base || main!.bad.some((b) => b.section === 'alerts');
  // The firing alerts' own copy, when the state file lost them; it is as new as the last save.
  const firing = alertsLost ? readChecked(firingFileOf(file)) : undefined;
  noteBad(out, firingFileOf(file), firing, nowMs, ['alerts']);
  const firingAlerts = firing && firing.unusable === undefined && !firing.bad.some((b) => b.section === 'alerts') ? firing.snapshot?.alerts : undefined;
  if (!base) {
    if (before) {
      out.snapshot = before;
      out.fromPrevious.push('detectors', 'alerts', 'deploys', 'markers', 'probes');
    }
    if (firingAlerts) {
      out.snapshot ??= { version: 1, savedAtMs: firing!.snapshot!.savedAtMs, detectors: {}, alerts: [] };
      out.snapshot.alerts = firingAlerts;
      out.fromPrevious = out.fromPrevious.filter((s) => s !== 'alerts');
      out.fromFiring = true;
    }
    return out;
  }
  out.snapshot = base;
  const lost = new Set(main!.bad.map((b) => b.section));
  if (firingAlerts) {
    base.alerts = firingAlerts;
    lost.delete('alerts');
    out.fromFiring = true;
  }
  if (before) {
    for (const section of lost) {
      if (prev!.bad.some((b) => b.section === section)) continue;
      if (section === 'detectors') {
        for (const [id, state] of Object.entries(before.detectors)) if (!(id in base.detectors)) base.detectors[id] = state;
      } else (base as unknown as Record<string, unknown>)[section] = (before as unknown as Record<string, unknown>)[section];
      out.fromPrevious.push(section);
    }
  }
  return out;
}

/**
 * The saved state, as much of it as is valid; never throws for a bad file. What was decided after
 * its save (decided.json, newer: alerts, deploys, markers, probes) replaces what it holds of them;
 * the series' states stay as saved.
 */
export function loadState(file: string, nowMs = Date.now()): LoadedState {
  const out = loadSaved(file, nowMs);
  const decided = readChecked(decidedFileOf(file));
  noteBad(out, decidedFileOf(file), decided, nowMs, DECIDED_SECTIONS);
  if (!decided || decided.unusable !== undefined || decided.bad.some((b) => b.section === 'alerts') || !decided.snapshot) return out;
  if (out.snapshot && decided.snapshot.savedAtMs <= out.snapshot.savedAtMs) return out;
  const into = (out.snapshot ??= { version: 1, savedAtMs: decided.snapshot.savedAtMs, detectors: {}, alerts: [] }) as unknown as Record<string, unknown>;
  const from = decided.snapshot as unknown as Record<string, unknown>;
  for (const section of DECIDED_SECTIONS) if (from[section] !== undefined && !decided.bad.some((b) => b.section === section)) into[section] = from[section];
  out.fromDecided = true;
  return out;
}

/**
 * A copy read to recover what the state file lost (its .prev, firing.json, decided.json) that is
 * bad itself: quarantined (copied aside: the next save replaces it) and said, as the state file is.
 * Left unsaid, the next save overwrote the evidence, and nothing said what was lost.
 */
function noteBad(out: LoadedState, file: string, checked: CheckedState | undefined, nowMs: number, holds?: readonly StateSection[]): void {
  if (!checked) return;
  // A copy of some sections only: the others are absent by design.
  const bad = holds ? checked.bad.filter((b) => holds.includes(b.section)) : checked.bad;
  if (checked.unusable === undefined && bad.length === 0) return;
  const problems = checked.unusable !== undefined ? [checked.unusable] : bad.map((b) => `${b.section}: ${b.problem}`);
  out.quarantined.push({ file, movedTo: quarantine(file, nowMs, false), problems });
}

/** Reads and checks one file; undefined when it does not exist. */
function readChecked(file: string): CheckedState | undefined {
  if (!existsSync(file)) return undefined;
  let json: unknown;
  let binary = false;
  try {
    // Per-series entries stay in the file's columns until their series is restored (DeferredState),
    // each chunk's in memory of its own, let go as its series are.
    binary = isBinaryStateFile(file);
    if (binary) json = readBinaryStateFile(file, { deferred: true });
    else {
      // A JSON file (saves before the binary format): per-series sections as base64 columns or plain.
      json = JSON.parse(readFileSync(file, 'utf8'));
      if (json && typeof json === 'object') {
        const sections = json as { detectors?: unknown; ramps?: unknown };
        fromColumns(sections.detectors);
        fromColumns(sections.ramps);
        // Saves before columns packed each baseline on its own (state-pack.ts).
        unpackDetectors(sections.detectors);
      }
    }
  } catch (error) {
    if (binary) return { bad: [], unusable: `${file} is unreadable: ${(error as Error).message}` };
    // Not JSON nor the binary format: the parser's message quotes the bytes, which need not be text.
    const message = (error as Error).message.replace(/[^\x20-\x7e]+/g, '?');
    return { bad: [], unusable: `${file} is unreadable (neither stormwatch's binary state nor JSON): ${message}` };
  }
  return checkState(json);
}

/** Moves (or copies) a bad state file aside as FILE.bad-<time>, keeping the newest few. */
function quarantine(file: string, nowMs: number, move: boolean): string {
  const target = `${file}.bad-${new Date(nowMs).toISOString().replace(/[:.]/g, '-')}`;
  if (move) renameSync(file, target);
  else copyFileSync(file, target);
  const dir = dirname(file);
  const prefix = `${basename(file)}.bad-`;
  const old = readdirSync(dir).filter((f) => f.startsWith(prefix)).sort();
  for (const f of old.slice(0, Math.max(0, old.length - KEEP_QUARANTINED))) unlinkSync(join(dir, f));
  return target;
}
