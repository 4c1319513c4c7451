// The floor under any backtest of a replay file: a process that starts, reads the file (gunzipped
// as it streams) and parses every sample into columns as `stormwatch backtest` does, then stops,
// with no counter rates, detection or decisions. Its samples per second are as fast as a backtest
// of that file can be in this Node on this machine. `node dist/bench/replay-floor.js FILE`.

import { loadReplayColumns } from '../src/source/replay-source.js';

const file = process.argv[2];
if (!file) throw new Error('usage: replay-floor.js FILE');
const columns = await loadReplayColumns(file);
// Printed so the parse's result is used, and so the caller can check it read every sample.
process.stdout.write(`${columns.starts[columns.timesMs.length]}\n`);
