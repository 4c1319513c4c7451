// The models that ship with stormwatch (detector presets, alert definitions, client retry models)
// and user client-model files, read and checked like the configuration itself.

import { parseAllDocuments } from 'yaml';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { ALERTS_DIR, MODELS_DIR } from '../core/paths.js';
import { type AlertDefinitions, type DefinitionKind, templateValuesFor } from '../decisions/alert-decider.js';
import { templateNames } from '../decisions/template.js';
import type { DetectorParams } from '../detectors/evidence-detector.js';
import type { ClientModel } from '../detectors/client-model.js';
import { toDetectorParams } from './detector-params.js';
import { alertDefinitions, clientModel, detectorPresets } from './schema.js';
import { issuesToProblems, readConfigText, readYaml } from './yaml-file.js';

/** Reads client retry models from a YAML file holding one model per document. */
export function readClientModels(file: string): ClientModel[] {
  const docs = parseAllDocuments(readConfigText(file));
  const models: ClientModel[] = [];
  const problems: string[] = [];
  docs.forEach((doc, i) => {
    if (doc.errors.length > 0) {
      problems.push(...doc.errors.map((e) => `document ${i + 1}: ${e.message.split('\n')[0]}`));
      return;
    }
    const parsed = clientModel.safeParse(doc.toJS());
    if (parsed.success) models.push(parsed.data);
    else problems.push(...issuesToProblems(parsed.error.issues).map((p) => `document ${i + 1}: ${p}`));
  });
  if (problems.length > 0) throw new ConfigError(file, problems);
  return models;
}

/** The client retry models that ship in models/clients/. */
export function loadBundledClientModels(): ClientModel[] {
  const dir = join(MODELS_DIR, 'clients');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((f) => readClientModels(join(dir, f)));
}

/** Loads the detector presets and alert definitions that ship with stormwatch. */
export function loadBundledModels(): { presets: Record<string, DetectorParams>; definitions: AlertDefinitions } {
  const presetsFile = join(MODELS_DIR, 'detector-presets.yaml');
  const presets = detectorPresets.safeParse(readYaml(presetsFile).data);
  if (!presets.success) throw new ConfigError(presetsFile, issuesToProblems(presets.error.issues));
  const definitionsFile = join(ALERTS_DIR, 'definitions.yaml');
  const definitions = alertDefinitions.safeParse(readYaml(definitionsFile).data);
  if (!definitions.success) throw new ConfigError(definitionsFile, issuesToProblems(definitions.error.issues));
  const problems: string[] = [];
  for (const [kind, def] of Object.entries(definitions.data)) {
    for (const field of ['summary', 'description'] as const) {
      for (const name of templateNames(def[field])) {
        if (!templateValuesFor(kind as DefinitionKind).includes(name)) problems.push(`${kind}.${field}: unknown template value {{${name}}}`);
      }
    }
  }
  if (problems.length > 0) throw new ConfigError(definitionsFile, problems);
  const resolved: Record<string, DetectorParams> = {};
  for (const [name, p] of Object.entries(presets.data)) resolved[name] = toDetectorParams(p) as DetectorParams;
  return { presets: resolved, definitions: definitions.data as AlertDefinitions };
}
