import { PgClusterError, withClient } from '@pgcluster/core';
import type { PgbouncerSizes } from './scale-schema';

/** One row of PgBouncer's `SHOW POOLS` (the fields we read). */
export interface PgbouncerPool {
  database: string;
  user: string;
  clActive: number;
  clWaiting: number;
  svActive: number;
  svIdle: number;
  svUsed: number;
  maxwaitSeconds: number;
  poolMode: string;
}

/** What PgBouncer's admin console reports. */
export interface PgbouncerState {
  sizes: PgbouncerSizes;
  maxClientConn: number;
  /** Client pools, the admin console's own `pgbouncer` database left out. */
  pools: PgbouncerPool[];
}

/**
 * Reads PgBouncer's pool settings (`SHOW CONFIG`) and pools (`SHOW POOLS`) from its admin console.
 * The console speaks the simple query protocol only: no bound parameters, no transactions.
 *
 * @throws QueryError (UNREACHABLE) when the console does not answer.
 * @example
 * ```ts
 * const { sizes, pools } = await readPgbouncer(config.pgbouncer.adminUrl)
 * ```
 */
export async function readPgbouncer(adminUrl: string, connectTimeoutMs = 3_000): Promise<PgbouncerState> {
  return withClient({ url: adminUrl, connectTimeoutMs }, "reading PgBouncer's admin console", async (c) => {
    const config = new Map((await c.query<{ key: string; value: string }>('SHOW CONFIG')).rows.map((r) => [r.key, r.value]));
    const num = (key: string) => {
      const v = Number(config.get(key));
      if (!Number.isFinite(v)) throw new PgClusterError('ACTION_FAILED', `PgBouncer's SHOW CONFIG has no ${key}`);
      return v;
    };
    const rows = (await c.query<Record<string, string | number>>('SHOW POOLS')).rows;
    return {
      sizes: { defaultPoolSize: num('default_pool_size'), reservePoolSize: num('reserve_pool_size'), maxDbConnections: num('max_db_connections') },
      maxClientConn: num('max_client_conn'),
      pools: rows
        .filter((r) => r['database'] !== 'pgbouncer')
        .map((r) => ({
          database: String(r['database']),
          user: String(r['user']),
          clActive: Number(r['cl_active']),
          clWaiting: Number(r['cl_waiting']),
          svActive: Number(r['sv_active']),
          svIdle: Number(r['sv_idle']),
          svUsed: Number(r['sv_used']),
          maxwaitSeconds: Number(r['maxwait']) + Number(r['maxwait_us'] ?? 0) / 1e6,
          poolMode: String(r['pool_mode']),
        })),
    };
  });
}

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
