// Writing a state file durably: whole writes, fsync before rename, the directory synced after; the
// end of a save (its syncs and renames) also as a promise, whose syncs wait on libuv's threads, not
// on the event loop.

import { closeSync, existsSync, fsync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

/** fsync(2) of an open file on libuv's thread pool. */
export const fsyncAsync = promisify(fsync);

/** firing.json beside the state file: the firing alerts alone, a second copy of what matters most. */
export function firingFileOf(file: string): string {
  return join(dirname(file), 'firing.json');
}

/**
 * decided.json beside the state file: the alerts as last decided, written before their
 * notifications go out (saveDecidedAlerts); newer than the state file's when a save was still to come.
 */
export function decidedFileOf(file: string): string {
  return join(dirname(file), 'decided.json');
}

/** Puts `text` in place as `file` durably: written and synced as FILE.tmp, renamed, the directory synced. */
export function replaceDurably(file: string, text: string): void {
  writeDurably(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
  syncDirectory(dirname(file));
}

/** fsync(2) of a directory: the renames in it are on disk. */
function syncDirectory(dir: string): void {
  const dirFd = openSync(dir, 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

/** Writes the pieces of a text and syncs; returns the bytes written. */
export function writeDurably(file: string, text: string | readonly string[]): number {
  const fd = openSync(file, 'w');
  let bytes = 0;
  try {
    for (const piece of typeof text === 'string' ? [text] : text) bytes += writeSync(fd, piece);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return bytes;
}

/** Writes all of `bytes` (a write may take part of them). */
export function writeAll(fd: number, bytes: Uint8Array): void {
  for (let at = 0; at < bytes.byteLength; ) at += writeSync(fd, bytes, at, bytes.byteLength - at);
}

/**
 * A save whose state file is in place, whose second copy of the firing alerts (firing.json) is not:
 * the save happened, and the copy's problem is said (made a directory, it failed every save).
 */
export class FiringCopyError extends Error {
  /** The state file's bytes (set by the save that threw it). */
  bytes = 0;

  constructor(file: string, cause: unknown) {
    super(`the state is saved, but its second copy of the firing alerts could not be put in place as ${file}: ${(cause as Error).message}`);
    this.name = 'FiringCopyError';
  }
}

/**
 * The end of a save, once FILE.tmp is written and synced: firing.json written, then both put in
 * place (the file before kept as FILE.prev) and the directory synced. Throws FiringCopyError when
 * only firing.json could not be put in place.
 */
export function commitState(file: string, firing: string): void {
  writeDurably(`${firingFileOf(file)}.tmp`, firing);
  const copyProblem = putInPlace(file);
  syncDirectory(dirname(file));
  if (copyProblem) throw copyProblem;
}

/** commitState with its fsyncs (firing.json's, the directory's) off the event loop. */
export async function commitStateAsync(file: string, firing: string): Promise<void> {
  const handle = await open(`${firingFileOf(file)}.tmp`, 'w');
  try {
    await handle.writeFile(firing);
    await handle.sync();
  } finally {
    await handle.close();
  }
  const copyProblem = putInPlace(file);
  const dir = await open(dirname(file), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
  if (copyProblem) throw copyProblem;
}

/**
 * FILE.tmp and firing.json.tmp, both synced, become the files (the file before kept as FILE.prev).
 * Returns the problem of firing.json's rename, when only that failed.
 */
function putInPlace(file: string): FiringCopyError | undefined {
  const firingFile = firingFileOf(file);
  // A crash between the two renames leaves only .prev: the loader falls back to it.
  if (existsSync(file)) renameSync(file, `${file}.prev`);
  renameSync(`${file}.tmp`, file);
  try {
    renameSync(`${firingFile}.tmp`, firingFile);
    return undefined;
  } catch (error) {
    return new FiringCopyError(firingFile, error);
  }
}
