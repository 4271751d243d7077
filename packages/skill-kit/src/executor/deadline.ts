import { PgClusterError } from '@pgcluster/core';

/** A timeout and the caller's signal, merged into one AbortSignal. */
export interface Deadline {
  readonly signal: AbortSignal;
  /** Settles with `work`, or rejects with the abort reason as soon as the signal aborts. */
  race<T>(work: Promise<T>): Promise<T>;
  dispose(): void;
}

/**
 * Starts a deadline: the signal aborts with a `TIMEOUT` error after `timeoutMs`, or with
 * `ABORTED` when `parent` aborts.
 *
 * @example
 * ```ts
 * const deadline = createDeadline('cluster-status', 5_000, callerSignal)
 * try { await deadline.race(work(deadline.signal)) } finally { deadline.dispose() }
 * ```
 */
export function createDeadline(skill: string, timeoutMs: number, parent?: AbortSignal): Deadline {
  const controller = new AbortController();
  const onParentAbort = () =>
    controller.abort(new PgClusterError('ABORTED', `${skill} was cancelled by the caller`, { hint: 'The action may have partly happened; check with a read skill.' }));
  const timer = setTimeout(() => {
    controller.abort(
      new PgClusterError('TIMEOUT', `${skill} did not finish within ${formatMs(timeoutMs)}`, {
        hint: 'Pass a longer --timeout, or check the cluster\'s load; the action may have partly happened.',
      }),
    );
  }, timeoutMs);
  if (parent?.aborted) onParentAbort();
  else parent?.addEventListener('abort', onParentAbort, { once: true });
  return {
    signal: controller.signal,
    race<T>(work: Promise<T>): Promise<T> {
      const signal = controller.signal;
      if (signal.aborted) {
        work.catch(() => undefined);
        return Promise.reject(signal.reason);
      }
      return new Promise<T>((resolve, reject) => {
        const onAbort = () => reject(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
      });
    },
    dispose() {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onParentAbort);
    },
  };
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
