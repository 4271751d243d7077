import { PgClusterError, QueryError, redactUrl } from '@pgcluster/core';
import type { Envelope } from '../skill/skill-meta';

/** The `error` member of an envelope. */
export type EnvelopeError = NonNullable<Envelope['error']>;

const PG_CODE = /^([0-9A-Z]{5}|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EPIPE)$/;

/**
 * Turns anything thrown while running a skill into an envelope's `{ code, message, hint }`:
 * a PgClusterError keeps its code; a raw `pg` error becomes a QueryError; anything else is
 * `INTERNAL`. Never a stack trace; URLs lose their passwords.
 *
 * @example
 * ```ts
 * toEnvelopeError(new RefusedError('not now'), 'cluster-scale') // { code: 'REFUSED', message: 'not now' }
 * ```
 */
export function toEnvelopeError(error: unknown, skill: string): EnvelopeError {
  const code = (error as { code?: unknown } | null)?.code;
  const known =
    error instanceof PgClusterError
      ? error
      : typeof code === 'string' && PG_CODE.test(code)
        ? QueryError.from(error, skill)
        : new PgClusterError('INTERNAL', `${skill} failed: ${error instanceof Error ? error.message : String(error)}`, {
            hint: 'This looks like a bug in the skill rather than a problem with the input; PGCLUSTER_LOG=debug shows details.',
          });
  // Security: messages can quote connection strings; passwords are stripped before output.
  const { hint } = known;
  return { code: known.code, message: redactUrl(known.message), ...(hint ? { hint: redactUrl(hint) } : {}) };
}
