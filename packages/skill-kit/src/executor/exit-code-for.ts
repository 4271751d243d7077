import type { Envelope, Status } from '../skill/skill-meta';

/** The process exit codes of the seed ADR. */
export type ExitCode = 0 | 1 | 2 | 3;

/**
 * The exit code of each status: 0 ok/healthy/planned, 1 degraded or critical (the skill
 * ran and found something that needs attention), 2 error, 3 refused (confirmation required).
 */
export const EXIT_CODES: Readonly<Record<Status, ExitCode>> = {
  ok: 0,
  healthy: 0,
  planned: 0,
  degraded: 1,
  critical: 1,
  error: 2,
  refused: 3,
};

/**
 * The process exit code for an envelope (see {@link EXIT_CODES}).
 *
 * @example
 * ```ts
 * const envelope = await executeSkill(DropTableSkill, { table: 'old' }, { actor: 'cli' })
 * process.exitCode = exitCodeFor(envelope) // 3 without --yes
 * ```
 */
export function exitCodeFor(envelope: Pick<Envelope, 'status'>): ExitCode {
  return EXIT_CODES[envelope.status] ?? 2;
}
