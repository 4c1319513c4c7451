import { describe, expect, it } from 'vitest';
import { fingerprint } from '../../src/decisions/fingerprint.js';

describe('fingerprint', () => {
  it('is the FNV-1a 64 offset basis for no labels (as Alertmanager)', () => {
    // FNV-1a 64 of the empty input is its offset basis, cbf29ce484222325 (FNV reference vectors).
    expect(fingerprint({})).toBe('cbf29ce484222325');
  });

  it('hashes name, 0xff, value, 0xff per label in sorted order', () => {
    // Computed independently: python3 -c "h=0xcbf29ce484222325
    // for b in b'a'+b'\xff'+b'b'+b'\xff': h=((h^b)*0x100000001b3)&(2**64-1)
    // print(f'{h:016x}')"
    expect(fingerprint({ a: 'b' })).toBe('d2b371819297f98a');
  });

  it('does not depend on label order, and differs when a value differs', () => {
    expect(fingerprint({ alertname: 'X', signal: 's' })).toBe(fingerprint({ signal: 's', alertname: 'X' }));
    expect(fingerprint({ alertname: 'X', signal: 's' })).not.toBe(fingerprint({ alertname: 'X', signal: 't' }));
  });
});
