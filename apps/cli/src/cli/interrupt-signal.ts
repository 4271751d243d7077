import { PgClusterError } from '@pgcluster/core';
import type { CliIo } from './cli-io';

/** An AbortSignal that SIGINT/SIGTERM abort while a command runs, and how to stop listening. */
export interface InterruptSignal {
  signal: AbortSignal;
  dispose(): void;
}

/**
 * Turns SIGINT/SIGTERM into the executor's cancellation for one command: the run is stopped
 * (queries cancelled, programs killed) and its envelope still printed (`ABORTED`, exit 2).
 *
 * @example
 * ```ts
 * const interrupt = interruptSignal(io, 'cluster-backup')
 * try { await executeSkill(skill, input, { signal: interrupt.signal }) } finally { interrupt.dispose() }
 * ```
 */
export function interruptSignal(io: CliIo, command: string): InterruptSignal {
  const controller = new AbortController();
  const dispose = io.onInterrupt?.((signal) =>
    controller.abort(new PgClusterError('ABORTED', `${command} was interrupted (${signal})`, { hint: 'The run was stopped; its alerts say what it left behind.' })),
  );
  return { signal: controller.signal, dispose: () => dispose?.() };
}
