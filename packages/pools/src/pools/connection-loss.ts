import { PgClusterError, QueryError } from '@pgcluster/core';

const LOST_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', '57P01', '57P02', '57P03']);
const LOST_MESSAGES = /connection terminated|connection timeout|client has encountered a connection error|terminating connection|server closed the connection|not queryable/i;

/**
 * True when an error means the connection (or the server behind it) went away, rather than
 * the statement being rejected: socket errors, SQLSTATE class 08, admin shutdown (57P01-3),
 * and pg's "Connection terminated unexpectedly".
 *
 * @example
 * ```ts
 * try { await client.query('select 1') } catch (e) { if (isConnectionLoss(e)) await pools.refresh() }
 * ```
 */
export function isConnectionLoss(error: unknown): boolean {
  if (error instanceof QueryError) return error.reason === 'connection' || error.reason === 'admin_shutdown' || isConnectionLoss(error.cause);
  if (error instanceof PgClusterError) return error.code === 'UNREACHABLE';
  const e = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof e.code === 'string' && (LOST_CODES.has(e.code) || e.code.startsWith('08'))) return true;
  return typeof e.message === 'string' && LOST_MESSAGES.test(e.message);
}

/**
 * True when a write failed because the node is no longer writable (SQLSTATE 25006,
 * `read_only_sql_transaction`): it was demoted, so nothing was written there.
 *
 * @example
 * ```ts
 * isReadOnlyRejection({ code: '25006' }) // true
 * ```
 */
export function isReadOnlyRejection(error: unknown): boolean {
  const e = (error ?? {}) as { code?: unknown; sqlState?: unknown };
  return e.code === '25006' || e.sqlState === '25006';
}
