import { PgClusterError, withClient } from '@pgcluster/core';
import type { PgbouncerSizes } from './scale-schema';

/**
 * The admin-console statements that set the sizes that differ from `before`. Values are
 * integers checked by the schema (the console takes no bound parameters).
 * @example pgbouncerSetStatements({ defaultPoolSize: 10, … }, { defaultPoolSize: 15, … }) // ['SET default_pool_size = 15']
 */
export function pgbouncerSetStatements(before: PgbouncerSizes, after: PgbouncerSizes): string[] {
  const out: string[] = [];
  const set = (key: string, a: number, b: number) => {
    // Security: only integers reach the statement (the console has no bound parameters).
    if (!Number.isInteger(b) || b < 0) throw new PgClusterError('INVALID_INPUT', `${key} must be a non-negative integer`);
    if (a !== b) out.push(`SET ${key} = ${b}`);
  };
  set('default_pool_size', before.defaultPoolSize, after.defaultPoolSize);
  set('reserve_pool_size', before.reservePoolSize, after.reservePoolSize);
  set('max_db_connections', before.maxDbConnections, after.maxDbConnections);
  return out;
}

/**
 * Runs the SET statements on the admin console. They apply at once to every pool without a
 * pool size of its own in `[databases]`; no RELOAD is sent (it would re-read pgbouncer.ini and
 * undo them).
 * @example await applyPgbouncerSizes(adminUrl, ['SET default_pool_size = 15'])
 */
export async function applyPgbouncerSizes(adminUrl: string, statements: readonly string[]): Promise<void> {
  if (statements.length === 0) return;
  await withClient({ url: adminUrl }, "setting PgBouncer's pool sizes", async (c) => {
    for (const sql of statements) await c.query(sql);
  });
}
