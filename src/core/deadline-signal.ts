// An abort signal for one request: it fires after a timeout, or when an outer signal (shutdown)
// does. AbortSignal.any([AbortSignal.timeout(ms), outer]) holds its timeout signal weakly, and on
// Node 20 garbage collection can take it before it fires (nodejs/node#57736): a sink whose
// receiver answered after 30 s waited the 30 s, not its 5 s timeout, and held the notifications
// queued behind it. Here the timer itself holds the controller until it fires or is cleared.

/** A request's signal and the call that ends it (clears the timer, lets go of the outer signal). */
export interface DeadlineSignal {
  signal: AbortSignal;
  done(): void;
}

/** Aborts with a TimeoutError after `timeoutMs`, or with `outer`'s reason when it aborts first. */
export function deadlineSignal(timeoutMs: number, outer?: AbortSignal): DeadlineSignal {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError')), timeoutMs);
  const onOuter = () => controller.abort(outer!.reason);
  if (outer?.aborted) onOuter();
  else outer?.addEventListener('abort', onOuter, { once: true });
  return {
    signal: controller.signal,
    done() {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuter);
    },
  };
}
