// The metric families the scenario fixtures contain, with their help text.

export const FAMILIES = [
  { sample: 'crates_api_requests_total', help: 'Download API requests by response code.' },
  { sample: 'static_requests_total', help: 'Requests served by the static download host by response code.' },
];
