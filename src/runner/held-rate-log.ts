// What a tick reads from held rates of series missing from the source, said as an episode: a
// warning when the first input is held, another only when an input not held yet in the episode
// joins, and the end once no input has been held for QUIET_TICKS ticks. Said on every change of
// the held set, one target's failing scrapes were 36 lines in 45 s at 1 s ticks: which inputs are
// held moves from tick to tick (whether the neighbours took a missed series' load over is judged
// on each tick's rates; an idle route's held rate is there or not).

import type { Logger } from '../core/log.js';
import type { HeldRate } from '../source/source.js';

export const HELD_FROM_PROMETHEUS = "reading the last rates of series missing from Prometheus: their targets' scrapes fail (up == 0), or they left a page still scraped";
export const HELD_FROM_PAGE = 'reading held rates of series missing from the scraped page: they left it while their neighbours did not take their load over (held five minutes at most)';

/** Ticks without a held input before the episode is said to be over. */
export const QUIET_TICKS = 5;

export class HeldRateLog {
  /** The inputs held in this episode (`signal/input`): empty between episodes. */
  private readonly said = new Set<string>();
  private quietTicks = 0;

  /** `what`: the warning's text, naming where the series went missing from (the source's kind). */
  constructor(
    private readonly logger: Logger,
    private readonly what = HELD_FROM_PROMETHEUS,
  ) {}

  /** One tick's held rates (none: an empty list). */
  observe(held: readonly HeldRate[]): void {
    if (held.length === 0) {
      if (this.said.size === 0 || ++this.quietTicks < QUIET_TICKS) return;
      this.logger.log('info', 'no series is read at its last rate any more', { inputs: [...this.said].sort(), quietTicks: this.quietTicks });
      this.said.clear();
      this.quietTicks = 0;
      return;
    }
    this.quietTicks = 0;
    const joined = held.filter((h) => !this.said.has(`${h.signal}/${h.input}`));
    if (joined.length === 0) return;
    const first = this.said.size === 0;
    for (const h of joined) this.said.add(`${h.signal}/${h.input}`);
    this.logger.log('warn', this.what, {
      held: held.map((h) => ({ signal: h.signal, input: h.input, rate: Number(h.rate.toPrecision(4)) })),
      ...(first ? {} : { joined: joined.map((h) => `${h.signal}/${h.input}`) }),
    });
  }
}
