// The resolved configuration's shape: what loading a file produces and every stage reads.

import type { Labels, SignalInput } from '../core/types.js';
import type { AlertDefinitions } from '../decisions/alert-decider.js';
import type { InhibitRule } from '../decisions/inhibition.js';
import type { MaintenanceWindow } from '../decisions/maintenance-windows.js';
import type { Matcher } from '../decisions/matchers.js';
import type { DetectorParams } from '../detectors/evidence-detector.js';
import type { ClientModel } from '../detectors/client-model.js';
import type { Selector } from '../core/selector.js';
import type { MissedSpec } from '../source/counter-query.js';
import type { HttpClientConfig } from './http-client.js';

export interface InputSpec {
  /** Set for counter selectors; scrape and replay sources need it. */
  selector?: Selector;
  /** The PromQL a Prometheus source runs for this input. */
  query: string;
  /**
   * A traffic counter selector's missed query (counter-query.ts, missedQueryFor): what the series
   * of targets whose scrapes fail add to `query`, asked for while such targets are down.
   */
  missed?: MissedSpec;
}

export interface SignalConfig {
  name: string;
  labels: Labels;
  inputs: Partial<Record<SignalInput, InputSpec>>;
  /** The client retry models this signal's traffic is matched against. */
  clients: ClientModel[];
  /** Split into one series per value of these labels; empty: one series. */
  by: string[];
  /** This signal's own detector parameters, when it overrides any (else the config-wide ones). */
  detector?: DetectorParams;
  /** This signal's own alert timing, when it overrides it. */
  forMs?: number;
  keepFiringForMs?: number;
  classifyWithinMs?: number;
  /** Extra annotations on this signal's alerts (runbook_url). */
  annotations?: Labels;
}

export type SourceConfig =
  | { kind: 'prometheus'; url: string; timeoutMs: number; warmupMs: number; http: HttpClientConfig; rateFunction?: 'irate' | 'rate'; rateWindowMs?: number; seasonalHistoryMs?: number; alignTicks?: boolean }
  | { kind: 'scrape'; url: string; timeoutMs: number; maxBytes: number; http: HttpClientConfig }
  | { kind: 'replay'; file: string };

export type SinkKind = 'webhook' | 'alertmanager' | 'slack' | 'faro';

/** One delivery target. An Alertmanager sink with several URLs becomes one target per URL. */
export interface SinkConfig {
  name: string;
  kind: SinkKind;
  /** Where requests go; secrets resolved. */
  url: string;
  timeoutMs: number;
  headers: Record<string, string>;
  signingSecret?: string;
  /** Alertmanager: firing alerts are re-sent this often. */
  resendIntervalMs?: number;
  /** Faro: the app the events belong to. */
  app?: { name: string; environment?: string };
  /** The config marks the URL public: failures may show it. Otherwise logs name the host only. */
  publicUrl?: boolean;
  /** TLS (a private CA, a client certificate), credentials and proxy of the receiver. */
  http?: HttpClientConfig;
  /** Where the sink is in the configuration (sinks[0].alertmanager): named in failure hints. */
  setting?: string;
}

export interface RouteConfig {
  /** The receiver named in webhook payloads (default alerting.receiver). */
  receiver?: string;
  /** The route's Alertmanager route key (for groupKey); default "{}", the root route. */
  key?: string;
  sinks: string[];
  match: Labels;
  /** Alertmanager-style matchers (=, !=, =~, !~), all of which must hold, besides `match`. */
  matchers?: Matcher[];
  groupBy: string[];
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
}

export interface DeliveryConfig {
  outboxDir: string;
  /** What named outboxDir, as problems with the directory name it ('--state-dir'); absent: delivery.outboxDir. */
  outboxDirSetting?: string;
  maxAgeMs: number;
  concurrency: number;
  backoff: { baseMs: number; capMs: number };
  /** How often the state is saved while nothing changes (transitions and deploys save at once). */
  stateSaveIntervalMs: number;
}

export interface MarkerConfig {
  name: string;
  service: string;
  environment: string;
  label?: string;
  /** For scrape and replay sources. */
  selector?: Selector;
  /** For a Prometheus source: PromQL whose series mark deploys. */
  query: string;
}

export interface RollbackConfig {
  service: string;
  url: string;
  publicUrl?: boolean;
  timeoutMs: number;
  headers: Record<string, string>;
  body: string;
}

export interface DeploysConfig {
  windowMs: number;
  earlyAlpha: number;
  alpha: number;
  minPostSamples: number;
  apiToken?: string;
  /** Where apiToken was read from when given as {file:}: read again at each request (a rotated token). */
  apiTokenFile?: string;
  publicReads: boolean;
  retentionMs: number;
  maxRecords: number;
  maxBodyBytes: number;
  markers: MarkerConfig[];
  rollback: RollbackConfig[];
  /** What gates do with an inconclusive verdict. */
  inconclusive: 'fail' | 'pass';
  /** Base URLs of the other HA replicas, which get every deploy this one learns. */
  peers: string[];
}

export interface ProbeConfig {
  name: string;
  service: string;
  /** The deploy environment it probes: a failure fails that environment's open windows only (absent: every one). */
  environment?: string;
  url: string;
  intervalMs: number;
  timeoutMs: number;
  maxRedirects: number;
  expect: { status: number; bodyBytes?: number; sha256?: string };
  resolve: Record<string, string>;
  strictResolve: boolean;
  /** Headers, credentials and TLS for the probe URL's origin (absent: none). */
  http?: HttpClientConfig;
}

export interface StormwatchConfig {
  file: string;
  /** What loading found worth saying that is no problem (an inline secret that looks like a file path), each `path: warning (line N)`. */
  warnings?: string[];
  intervalMs: number;
  /** node-cron expression when cron ticks the interval evenly; undefined: an epoch-aligned timer does (45s, 90s). */
  cron?: string;
  source: SourceConfig;
  /**
   * New evidence per tick, 0-1: below 1 when a Prometheus source reads rate() over a window longer
   * than the interval, so consecutive ticks share requests (irate reads the last two samples only).
   */
  evidenceWeight: number;
  listen?: string;
  /** server.basicAuth: what the UI, /metrics and /api/v1/alerts ask of a reader (absent: nothing). */
  serverAuth?: { username: string; password: string };
  /** server.tls: the certificate and key the server answers HTTPS with (PEM, read at load; absent: plain HTTP). */
  serverTls?: { cert: string; key: string };
  /** The server's URL scheme: https when server.tls is set (also when a lint did not read its files). */
  serverScheme?: 'http' | 'https';
  detector: DetectorParams;
  alerting: { forMs: number; classifyWithinMs?: number; keepFiringForMs: number; updateIntervalMs?: number; labels: Labels; externalURL: string; externalURLGiven?: boolean; receiver: string; muteRecurring?: boolean };
  sinks: SinkConfig[];
  routes: RouteConfig[];
  delivery: DeliveryConfig;
  deploys?: DeploysConfig;
  probes: ProbeConfig[];
  /** Alerts these select are muted while a window is open (decided and recorded, not delivered). */
  maintenanceWindows: MaintenanceWindow[];
  inhibitRules: InhibitRule[];
  signals: SignalConfig[];
  definitions: AlertDefinitions;
}
