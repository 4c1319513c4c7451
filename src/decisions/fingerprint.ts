// Alert fingerprints computed as Alertmanager computes them (FNV-1a 64 over sorted label names and
// values, each followed by 0xff), so the same labels give the same fingerprint in both.

import type { Labels } from '../core/types.js';

const FNV_OFFSET = 14695981039346656037n;
const FNV_PRIME = 1099511628211n;
const MASK_64 = (1n << 64n) - 1n;
const SEPARATOR = 0xff;
const encoder = new TextEncoder();

export function fingerprint(labels: Labels): string {
  let hash = FNV_OFFSET;
  const add = (byte: number) => {
    hash ^= BigInt(byte);
    hash = (hash * FNV_PRIME) & MASK_64;
  };
  for (const name of Object.keys(labels).sort()) {
    for (const byte of encoder.encode(name)) add(byte);
    add(SEPARATOR);
    for (const byte of encoder.encode(labels[name]!)) add(byte);
    add(SEPARATOR);
  }
  return hash.toString(16).padStart(16, '0');
}
