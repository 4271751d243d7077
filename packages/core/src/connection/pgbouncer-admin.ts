import { PgClusterError } from '../errors/pgcluster-error';
import { withClient } from './connect';

/** One row of PgBouncer's `SHOW POOLS` (the fields we read), with its database's pool size. */
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
  /** Its database's effective pool_size (`SHOW DATABASES`: its own from `[databases]`, else default_pool_size). */
  poolSize: number;
  /** Its database's effective reserve_pool. */
  reservePool: number;
}

/** What PgBouncer's admin console reports. */
export interface PgbouncerState {
  /** The `[pgbouncer]` pool settings (`SHOW CONFIG`). */
  sizes: { defaultPoolSize: number; reservePoolSize: number; maxDbConnections: number };
  maxClientConn: number;
  /** Client pools, the admin console's own `pgbouncer` database left out. */
  pools: PgbouncerPool[];
}

/**
 * Reads PgBouncer's pool settings (`SHOW CONFIG`), databases (`SHOW DATABASES`) and pools
 * (`SHOW POOLS`) from its admin console. The console speaks the simple query protocol only: no
 * bound parameters, no transactions.
 *
 * @throws QueryError (UNREACHABLE) when the console does not answer.
 * @example
 * ```ts
 * const { sizes, pools } = await readPgbouncer(config.pgbouncer.adminUrl)
 * pools.filter((p) => p.clWaiting > 0).map((p) => `${p.database}/${p.user}: ${p.clWaiting} waiting of pool_size ${p.poolSize}`)
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
    const sizes = { defaultPoolSize: num('default_pool_size'), reservePoolSize: num('reserve_pool_size'), maxDbConnections: num('max_db_connections') };
    const databases = new Map((await c.query<Record<string, string | number | null>>('SHOW DATABASES')).rows.map((r) => [String(r['name']), r]));
    const rows = (await c.query<Record<string, string | number>>('SHOW POOLS')).rows;
    return {
      sizes,
      maxClientConn: num('max_client_conn'),
      pools: rows
        .filter((r) => r['database'] !== 'pgbouncer')
        .map((r) => {
          const db = databases.get(String(r['database']));
          const poolSize = Number(db?.['pool_size']);
          const reservePool = Number(db?.['reserve_pool']);
          return {
            database: String(r['database']),
            user: String(r['user']),
            clActive: Number(r['cl_active']),
            clWaiting: Number(r['cl_waiting']),
            svActive: Number(r['sv_active']),
            svIdle: Number(r['sv_idle']),
            svUsed: Number(r['sv_used']),
            maxwaitSeconds: Number(r['maxwait']) + Number(r['maxwait_us'] ?? 0) / 1e6,
            poolMode: String(r['pool_mode']),
            poolSize: Number.isFinite(poolSize) && poolSize >= 0 ? poolSize : sizes.defaultPoolSize,
            reservePool: Number.isFinite(reservePool) && reservePool >= 0 ? reservePool : sizes.reservePoolSize,
          };
        }),
    };
  });
}
