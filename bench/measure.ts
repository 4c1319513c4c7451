// How the bench measures: CPU seconds of this process (process.cpuUsage, user + system), medians of
// repeated runs, resident memory after collection, and an order-insensitive digest of samples.

export const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

/** CPU seconds (user + system) of this process since `from` (a process.cpuUsage() reading). */
export function cpuSecondsSince(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1e6;
}

/** Runs `fn` and returns its CPU seconds and wall seconds. */
export async function measure(fn: () => unknown): Promise<{ cpuS: number; wallS: number }> {
  const cpu = process.cpuUsage();
  const t = performance.now();
  await fn();
  return { cpuS: cpuSecondsSince(cpu), wallS: (performance.now() - t) / 1000 };
}

/** The median of the values (the mean of the middle two for an even count). */
/** The arithmetic mean: what a process pays per tick on average, the minute's heavy tick included. */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Resident set size in bytes after two full collections (needs --expose-gc). */
export function settledRss(): number {
  gc();
  gc();
  return process.memoryUsage().rss;
}

/**
 * An order-insensitive digest of a set of samples: count and sum of 32-bit FNV-1a hashes of each
 * sample's canonical text (name, labels sorted by name, value, timestamp). Two parsers agree on a
 * page when both numbers agree; a difference in any label, value or timestamp changes the sum.
 */
export class SampleDigest {
  count = 0;
  private sum = 0;

  add(name: string, labels: Record<string, string>, value: number, timestampMs: number | undefined): void {
    let text = name;
    const keys = Object.keys(labels).sort();
    for (const k of keys) text += `\u0001${k}\u0002${labels[k]}`;
    text += `\u0003${value}\u0003${timestampMs === undefined || Number.isNaN(timestampMs) ? '' : timestampMs}`;
    let h = 0x811c9dc5;
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    this.sum = (this.sum + (h >>> 0)) % 0x1_0000_0000_0000;
    this.count++;
  }

  get value(): string {
    return `${this.count}:${this.sum.toString(16)}`;
  }
}
