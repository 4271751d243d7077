import { QueryError } from '@pgcluster/core';

/**
 * Session settings of every monitoring connection. Security: read-only (nothing a check or a
 * sample sends can write), no statement longer than 1 s and no lock wait longer than 0.5 s, so
 * a run cannot hurt the server it watches.
 * @example await client.query(READ_ONLY_SESSION_SQL)
 */
export const READ_ONLY_SESSION_SQL = "SET default_transaction_read_only = on; SET statement_timeout = '1s'; SET lock_timeout = '500ms'; SET idle_in_transaction_session_timeout = '5s'";

/**
 * Why a node or a statement failed, in the server's words, without the `<context>: ` prefix
 * QueryError adds and without secrets.
 * @example serverReason(error, 'node2') // 'connection refused' … 'canceling statement due to statement timeout'
 */
export function serverReason(error: unknown, context: string): string {
  const message = QueryError.from(error, context).message;
  return message.startsWith(`${context}: `) ? message.slice(context.length + 2) : message;
}
