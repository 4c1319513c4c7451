// A fixed piece of CPU work, timed at the start and the end of a bench: the machine a bench runs on
// may differ from one run to the next, and its CPU model is often hidden ("AMD EPYC"), so the
// bench's absolute figures of two runs compare only through a yardstick both ran. The work is what the
// step is made of: arithmetic and logarithms over typed arrays, and a sort of doubles.

import { cpuSecondsSince } from './measure.js';

const VALUES = 1 << 20;

/** CPU seconds of one round: 2^20 seeded doubles made, their logs summed, then sorted. Returns the seconds and the checksum (so nothing is optimised away). */
function round(): { seconds: number; checksum: number } {
  const start = process.cpuUsage();
  const values = new Float64Array(VALUES);
  // xorshift32: the same values on every machine.
  let x = 2463534242;
  let sum = 0;
  for (let i = 0; i < VALUES; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const v = (x >>> 0) / 4294967296 + 1e-9;
    values[i] = v;
    sum += Math.log(v);
  }
  values.sort();
  return { seconds: cpuSecondsSince(start), checksum: sum + values[VALUES >> 1]! };
}

/** The median CPU seconds of five rounds after one to compile it, and their range. */
export function referenceWork(): { seconds: number; range: [number, number] } {
  round();
  const seconds: number[] = [];
  for (let i = 0; i < 5; i++) {
    const r = round();
    if (!Number.isFinite(r.checksum)) throw new Error('reference work: a non-finite checksum');
    seconds.push(r.seconds);
  }
  seconds.sort((a, b) => a - b);
  return { seconds: seconds[2]!, range: [seconds[0]!, seconds[4]!] };
}
