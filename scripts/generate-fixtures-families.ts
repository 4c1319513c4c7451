// The metric families the scenario fixtures contain, with their help text.

import type { FamilyHelp } from './sim/openmetrics-writer.js';

export const FAMILIES: FamilyHelp[] = [
  { sample: 'crates_api_requests_total', help: 'Download API requests by response code.' },
  { sample: 'static_requests_total', help: 'Requests served by the static download host by response code.' },
  { sample: 'crates_build_info', help: 'The version each API pod runs (1).', type: 'gauge' },
];
