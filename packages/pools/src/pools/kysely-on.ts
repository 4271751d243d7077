import type { Kysely, PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';

/**
 * A Kysely instance bound to the one connection of a {@link ClusterPools} transaction, so typed
 * queries run inside that transaction (with its `SET LOCAL` settings, its routing and its retry).
 * It never ends or releases the connection (the transaction helper does), and it must not open
 * transactions of its own: the helper's transaction is already open.
 *
 * @example
 * ```ts
 * interface DB { items: { id: number; note: string | null } }
 * await pools.write(async (client) => {
 *   const db = kyselyOn<DB>(client)
 *   await db.insertInto('items').values({ id: 1, note: 'a' }).execute()
 * }, { database: 'project', retryable: true })
 * ```
 */
export function kyselyOn<DB>(client: pg.ClientBase): Kysely<DB> {
  const borrowed = {
    query: (sql: string, parameters: readonly unknown[]) => client.query(sql, parameters as unknown[]),
    release: () => undefined,
  } as unknown as PostgresPoolClient;
  const pool: PostgresPool = { connect: async () => borrowed, end: async () => undefined };
  // Loaded on first use, so importing @pgcluster/pools does not load kysely.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Kysely, PostgresDialect } = require('kysely') as typeof import('kysely');
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
}
