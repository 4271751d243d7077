import { PgClusterError, type PgClusterErrorOptions } from './pgcluster-error';

/** Why a query failed, from its SQLSTATE class; one tuple yields the type. */
export const QUERY_FAILURE_REASONS = [
  'connection',
  'authentication',
  'syntax',
  'undefined_object',
  'duplicate_object',
  'constraint_violation',
  'invalid_data',
  'insufficient_privilege',
  'read_only',
  'serialization',
  'deadlock',
  'canceled',
  'resources',
  'admin_shutdown',
  'unknown',
] as const;

/** One of {@link QUERY_FAILURE_REASONS}. */
export type QueryFailureReason = (typeof QUERY_FAILURE_REASONS)[number];

const EXACT: Readonly<Record<string, QueryFailureReason>> = {
  '25006': 'read_only',
  '40001': 'serialization',
  '40P01': 'deadlock',
  '57014': 'canceled',
  '57P01': 'admin_shutdown',
  '57P02': 'admin_shutdown',
  '57P03': 'connection',
  '28P01': 'authentication',
  '28000': 'authentication',
  '42501': 'insufficient_privilege',
  '42601': 'syntax',
  '42P01': 'undefined_object',
  '42703': 'undefined_object',
  '42883': 'undefined_object',
  '42704': 'undefined_object',
  '3D000': 'undefined_object',
  '42P07': 'duplicate_object',
  '42710': 'duplicate_object',
  '42P04': 'duplicate_object',
};

const BY_CLASS: Readonly<Record<string, QueryFailureReason>> = {
  '08': 'connection',
  '22': 'invalid_data',
  '23': 'constraint_violation',
  '28': 'authentication',
  '40': 'serialization',
  '42': 'syntax',
  '53': 'resources',
  '57': 'canceled',
};

const NODE_CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE']);

/**
 * Maps a SQLSTATE (or a Node socket error code) to a {@link QueryFailureReason}.
 *
 * @example
 * ```ts
 * reasonForSqlState('23505') // 'constraint_violation'
 * ```
 */
export function reasonForSqlState(code: string | undefined): QueryFailureReason {
  if (!code) return 'unknown';
  if (NODE_CONNECTION_CODES.has(code)) return 'connection';
  return EXACT[code] ?? BY_CLASS[code.slice(0, 2)] ?? 'unknown';
}

/**
 * A query that PostgreSQL (or the socket under it) rejected. Carries the SQLSTATE and a
 * typed reason; never the SQL's bound values, and the server's message is kept only when
 * it cannot echo them (the `DETAIL` field, which may, is dropped).
 *
 * @example
 * ```ts
 * try { await db.selectFrom('t').selectAll().execute() }
 * catch (e) { throw QueryError.from(e, 'reading t') }
 * ```
 */
export class QueryError extends PgClusterError {
  /** The five-character SQLSTATE, or the socket error code. */
  readonly sqlState: string | undefined;
  /** What kind of failure it was. */
  readonly reason: QueryFailureReason;

  constructor(message: string, sqlState: string | undefined, options: PgClusterErrorOptions = {}) {
    const reason = reasonForSqlState(sqlState);
    super(reason === 'connection' ? 'UNREACHABLE' : 'QUERY_FAILED', message, options);
    this.sqlState = sqlState;
    this.reason = reason;
  }

  /**
   * Wraps anything thrown by `pg` into a QueryError (a PgClusterError passes through).
   * @param context what was being done, e.g. `"reading pg_stat_activity on node2"`.
   */
  static from(error: unknown, context: string, options: PgClusterErrorOptions = {}): PgClusterError {
    if (error instanceof PgClusterError) return error;
    const e = (error ?? {}) as { code?: string; message?: string };
    const code = typeof e.code === 'string' ? e.code : undefined;
    // Security: pg's message never includes bound values, but DETAIL can ("Key (x)=(secret)"),
    // so only the primary message is kept, and any URL in it is stripped of its password.
    const raw = typeof e.message === 'string' ? e.message : String(error);
    const text = raw.replace(/(postgres(?:ql)?:\/\/[^:/@\s]+):[^@\s]+@/g, '$1:***@');
    return new QueryError(`${context}: ${text}`, code, { cause: error, ...options });
  }
}
