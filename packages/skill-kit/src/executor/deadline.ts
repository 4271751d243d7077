import { PgClusterError, redactUrl, RunScope, runInScope, type RunStopReport } from '@pgcluster/core';

/** How long a run may take to stop after it is aborted before what it holds is stopped hard. */
export const DEFAULT_STOP_WITHIN_MS = 15_000;

/** A timeout and the caller's signal, merged into one AbortSignal. */
export interface Deadline {
  readonly signal: AbortSignal;
  /**
   * Runs `work` in the deadline's {@link RunScope} (one per deadline, so a plan and the run that
   * follows share it: a connection a plan opened and the run reuses is stopped with the run).
   * When the signal aborts first, the run is stopped
   * (see `stopRun`) and this rejects with a {@link RunStopped}; work that finishes anyway (before
   * it could be stopped) is returned as usual, since what it did is done.
   */
  run<T>(work: () => T | Promise<T>): Promise<T>;
  dispose(): void;
}

/**
 * The rejection of an aborted {@link Deadline.run}: the abort's reason (a `TIMEOUT` or
 * `ABORTED` error) and what stopping the run did and left behind, as alert lines.
 */
export class RunStopped extends Error {
  constructor(
    readonly reason: unknown,
    readonly alerts: string[],
  ) {
    super(reason instanceof Error ? reason.message : String(reason));
    this.name = 'RunStopped';
  }
}

/**
 * Starts a deadline: the signal aborts with a `TIMEOUT` error after `timeoutMs`, or with
 * `ABORTED` when `parent` aborts (its reason kept when it is a pgcluster error).
 *
 * @example
 * ```ts
 * const deadline = createDeadline('cluster-status', 5_000, callerSignal)
 * try { await deadline.run(() => work(deadline.signal)) } finally { deadline.dispose() }
 * ```
 */
export function createDeadline(skill: string, timeoutMs: number, parent?: AbortSignal, stopWithinMs = DEFAULT_STOP_WITHIN_MS): Deadline {
  const controller = new AbortController();
  const onParentAbort = () =>
    controller.abort(
      parent?.reason instanceof PgClusterError
        ? parent.reason
        : new PgClusterError('ABORTED', `${skill} was cancelled by the caller`, { hint: 'The run was stopped; its alerts say what it left behind.' }),
    );
  const timer = setTimeout(() => {
    controller.abort(
      new PgClusterError('TIMEOUT', `${skill} did not finish within ${formatMs(timeoutMs)}`, {
        hint: 'The run was stopped (its alerts say what it left behind); pass a longer --timeout, or check the cluster\'s load.',
      }),
    );
  }, timeoutMs);
  const scope = new RunScope();
  if (parent?.aborted) onParentAbort();
  else parent?.addEventListener('abort', onParentAbort, { once: true });
  return {
    signal: controller.signal,
    run: (work) => runUntilAborted(scope, controller.signal, stopWithinMs, work),
    dispose() {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onParentAbort);
    },
  };
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

async function runUntilAborted<T>(scope: RunScope, signal: AbortSignal, stopWithinMs: number, work: () => T | Promise<T>): Promise<T> {
  if (signal.aborted) throw new RunStopped(signal.reason, []);
  const settled: Promise<Settled<T>> = runInScope(scope, async () => work()).then(
    (value) => ({ ok: true, value }),
    (error: unknown) => ({ ok: false, error }),
  );
  let onAbort = () => undefined as void;
  const aborted = new Promise<'aborted'>((resolve) => {
    onAbort = () => resolve('aborted');
    signal.addEventListener('abort', onAbort, { once: true });
  });
  const first = await Promise.race([settled, aborted]);
  signal.removeEventListener('abort', onAbort);
  if (first !== 'aborted' && (first.ok || !signal.aborted)) {
    if (first.ok) return first.value;
    throw first.error;
  }
  const stopped = await stopRun(scope, settled, stopWithinMs);
  if (stopped.ended?.ok) return stopped.ended.value;
  throw new RunStopped(signal.reason, stopped.alerts);
}

/**
 * Stops an aborted run and says how: cancels its server queries and programs at once (again
 * every second, for a query that started after the first cancel), waits up to `stopWithinMs`
 * for the run to end, then terminates its backends and kills its programs.
 */
async function stopRun<T>(scope: RunScope, settled: Promise<Settled<T>>, stopWithinMs: number): Promise<{ alerts: string[]; ended?: Settled<T> }> {
  const alerts: string[] = [];
  const first = await scope.cancel();
  const cancelled = describe(first, 'cancelled', 'pg_cancel_backend', 'SIGTERM');
  if (cancelled) alerts.push(`stopping the run: ${cancelled}`);
  const again = setInterval(() => void scope.cancel().catch(() => undefined), 1_000);
  const ended = await Promise.race([settled, sleep(stopWithinMs)]);
  clearInterval(again);
  if (ended) {
    if (ended.ok) return { alerts, ended };
    // Security: alerts are printed and audited like error messages, so a URL's password is stripped the same way.
    alerts.push(`the run stopped: ${redactUrl(ended.error instanceof Error ? ended.error.message : String(ended.error))}`);
  } else {
    const hard = await scope.stop();
    const late = await Promise.race([settled, sleep(2_000)]);
    alerts.push(
      `the run did not stop within ${formatMs(stopWithinMs)} of the cancel: ${describe(hard, 'terminated', 'pg_terminate_backend', 'SIGKILL') || 'nothing of it was left on the server'}` +
        (late ? '' : '; it may have left work half-done — check with a read skill before retrying'),
    );
  }
  if (first.unreachable.length) alerts.push(`could not reach ${first.unreachable.join(', ')} to cancel the run's queries there; check pg_stat_activity on it`);
  const left = scope.backends.length;
  if (left) alerts.push(`${left} connection(s) of the run are still open`);
  return { alerts, ...(ended ? { ended } : {}) };
}

function describe(report: RunStopReport, verb: string, fn: string, signal: string): string {
  const parts = [];
  if (report.backends) parts.push(`${verb} ${report.backends} server backend(s) of the run (${fn})`);
  if (report.processes) parts.push(`sent ${signal} to ${report.processes} program(s) it started`);
  return parts.join(', ');
}

function sleep(ms: number): Promise<undefined> {
  return new Promise((resolve) => setTimeout(() => resolve(undefined), ms).unref());
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
