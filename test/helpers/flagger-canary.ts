// Flagger's side of a canary's webhooks, ported from fluxcd/flagger so tests replay its exact
// requests and read the answers as it does:
// - pkg/controller/webhook.go: POST application/json CanaryWebhookPayload {name, namespace, phase,
//   checksum, metadata}; any status above 202 (or no answer) is an error; event webhooks add
//   metadata eventMessage, eventType and timestamp (unix ms) without overriding the hook's own keys
// - pkg/controller/scheduler.go + scheduler_hooks.go (the progressive canary strategy,
//   stepWeight/maxWeight): a new revision emits "New revision detected! Scaling up" before
//   SyncStatus saves the new spec, so that event's checksum (webhook.go's canaryChecksum of
//   status.lastAppliedSpec) is the outgoing revision's and every later call's the new one's; while
//   the canary's weight and iterations are 0 the pre-rollout hooks run, afterwards the rollout hooks
//   every interval; a failed hook is a failed check and `threshold` failed checks roll back
//   (weight 0); a pass that checks out adds stepWeight to the canary's weight (runCanary) until
//   maxWeight, where the confirm-promotion hooks gate promotion (Promote: every user on the new
//   revision). The weight is handed to `route`, so a test's service sends that share of its users
//   to the new revision.

export interface FlaggerWebhook {
  name: string;
  type?: string;
  url: string;
  timeout?: string;
  metadata?: Record<string, string>;
}

export interface Canary {
  metadata: { name: string; namespace: string };
  spec: { targetRef: { name: string }; analysis: { interval: string; threshold: number; stepWeight: number; maxWeight: number; webhooks: FlaggerWebhook[] } };
}

export interface HookCall {
  hook: string;
  type: string;
  status: number;
  ok: boolean;
  body: unknown;
}

async function callWebhook(url: string, payload: unknown, timeout = '10s'): Promise<{ ok: boolean; status: number; body: unknown }> {
  const ms = Number(/^(\d+)s$/.exec(timeout)?.[1] ?? 10) * 1000;
  try {
    const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(payload), signal: AbortSignal.timeout(ms) });
    const text = await r.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Flagger reads the body as the error text.
    }
    return { ok: r.status <= 202, status: r.status, body };
  } catch (error) {
    return { ok: false, status: 0, body: String(error) };
  }
}

export class FlaggerSimulation {
  readonly calls: HookCall[] = [];
  phase = 'Initialized';
  failedChecks = 0;
  /** The share of users (percent) routed to the new revision. */
  canaryWeight = 0;
  /** The weight at each rollout and confirm-promotion call, in order. */
  readonly weightsAtCalls: { type: string; weight: number }[] = [];

  /** Whether the new revision's spec is saved (SyncStatus): until then the checksum is the outgoing revision's. */
  private synced = false;

  /**
   * `checksum`: the new revision's; `previousChecksum`: the one before it, which the "New revision
   * detected" event carries (scheduler.go emits it before SyncStatus saves lastAppliedSpec, and
   * webhook.go's canaryChecksum hashes status.lastAppliedSpec).
   */
  constructor(
    private readonly canary: Canary,
    private readonly checksum: string,
    private readonly previousChecksum = 'initial0',
    /** Told the new revision's share of users (percent) whenever routes change. */
    private readonly route: (canaryWeight: number) => void = () => {},
  ) {}

  private setWeight(weight: number): void {
    this.canaryWeight = weight;
    this.route(weight);
  }

  private get currentChecksum(): string {
    return this.synced ? this.checksum : this.previousChecksum;
  }

  private payload(phase: string, w: FlaggerWebhook) {
    return { name: this.canary.metadata.name, namespace: this.canary.metadata.namespace, phase, checksum: this.currentChecksum, ...(w.metadata ? { metadata: w.metadata } : {}) };
  }

  private async hooks(type: string, phase: string): Promise<boolean> {
    for (const w of this.canary.spec.analysis.webhooks) {
      if ((w.type ?? '') !== type && !(type === 'rollout' && !w.type)) continue;
      const r = await callWebhook(w.url, this.payload(phase, w), w.timeout);
      this.calls.push({ hook: w.name, type, status: r.status, ok: r.ok, body: r.body });
      this.weightsAtCalls.push({ type, weight: this.canaryWeight });
      if (!r.ok) return false;
    }
    return true;
  }

  /** recordEventInfof -> sendEventToWebhook -> CallEventWebhook for every event-type webhook. */
  async event(message: string, eventType = 'Normal'): Promise<void> {
    for (const w of this.canary.spec.analysis.webhooks.filter((x) => x.type === 'event')) {
      const metadata: Record<string, string> = { eventMessage: message, eventType, timestamp: String(Date.now()) };
      for (const [k, v] of Object.entries(w.metadata ?? {})) if (!(k in metadata)) metadata[k] = v;
      const r = await callWebhook(w.url, { name: this.canary.metadata.name, namespace: this.canary.metadata.namespace, phase: this.phase, checksum: this.currentChecksum, metadata }, w.timeout);
      this.calls.push({ hook: w.name, type: 'event', status: r.status, ok: r.ok, body: r.body });
    }
  }

  /** Runs the canary to promotion or rollback, one scheduler pass every `intervalMs` (at most maxPasses). */
  async run(intervalMs: number, maxPasses = 400): Promise<'promoted' | 'rolled back' | 'still running'> {
    const a = this.canary.spec.analysis;
    const target = `${this.canary.spec.targetRef.name}.${this.canary.metadata.namespace}`;
    this.phase = 'Progressing';
    await this.event(`New revision detected! Scaling up ${target}`);
    this.synced = true;
    for (let pass = 0; pass < maxPasses; pass++) {
      if (pass > 0) await new Promise((r) => setTimeout(r, intervalMs));
      if ((this.phase === 'Progressing' || this.phase === 'WaitingPromotion') && this.failedChecks >= a.threshold) {
        this.phase = 'Failed';
        this.setWeight(0);
        await this.event(`Canary failed! Scaling down ${target}`, 'Warning');
        return 'rolled back';
      }
      if (this.canaryWeight === 0) {
        await this.event(`Starting canary analysis for ${target}`);
        if (!(await this.hooks('pre-rollout', 'Progressing'))) {
          this.failedChecks++;
          continue;
        }
      } else if (!(await this.hooks('rollout', 'Progressing'))) {
        this.failedChecks++;
        continue;
      }
      if (this.canaryWeight < a.maxWeight) {
        this.setWeight(Math.min(100, this.canaryWeight + a.stepWeight));
        await this.event(`Advance ${target} canary weight ${this.canaryWeight}`);
        continue;
      }
      if (!(await this.hooks('confirm-promotion', 'Progressing'))) {
        if (this.phase !== 'WaitingPromotion') this.phase = 'WaitingPromotion';
        continue;
      }
      this.phase = 'Succeeded';
      this.setWeight(100);
      await this.event(`Promotion completed! Scaling down ${target}`);
      return 'promoted';
    }
    return 'still running';
  }
}
