// Writes the bundled scenario fixtures: fixtures/scenarios/<name>.om (OpenMetrics with timestamps)
// and <name>.json (the labelled incident windows, ground truth and expectations). Seeded: running
// it again writes the same bytes.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { FIXTURES_DIR, MODELS_DIR } from '../src/core/paths.js';
import { toOpenMetrics } from './sim/openmetrics-writer.js';
import { scenarioLabelsOf } from './sim/labels.js';
import { bundledScenarios } from './sim/scenarios.js';
import { type RetryPolicy, simulate } from './sim/simulate.js';
import { FAMILIES } from './generate-fixtures-families.js';


const policies = parseAllDocuments(readFileSync(join(MODELS_DIR, 'clients', 'cargo.yaml'), 'utf8')).map((d) => d.toJS() as RetryPolicy);
const cargo = policies.find((p) => p.name === 'cargo');
if (!cargo) throw new Error('models/clients/cargo.yaml has no "cargo" policy');
const legacy = policies.find((p) => p.name === 'cargo-legacy');
if (!legacy) throw new Error('models/clients/cargo.yaml has no "cargo-legacy" policy');

const outDir = join(FIXTURES_DIR, 'scenarios');
mkdirSync(outDir, { recursive: true });
for (const scenario of bundledScenarios(cargo, legacy)) {
  const result = simulate(scenario.spec);
  const file = `${scenario.name}.om${scenario.gzip ? '.gz' : ''}`;
  const text = toOpenMetrics(result.snapshots, FAMILIES);
  // mtime 0 in the gzip header keeps the output byte-for-byte reproducible.
  writeFileSync(join(outDir, file), scenario.gzip ? gzipSync(text, { level: 9 }) : text);
  const labels = scenarioLabelsOf(scenario, result, file);
  writeFileSync(join(outDir, `${scenario.name}.json`), `${JSON.stringify(labels, null, 2)}\n`);
  process.stdout.write(`${file}: ${result.snapshots.length} snapshots; ${labels.faults.map((f) => `${f.kind} ${f.apiRatePerSecond}/s (${f.attemptsPerLogicalRequest} attempts per download)`).join(', ') || 'no fault'}\n`);
}
