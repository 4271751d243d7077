import type { Kysely } from 'kysely';
import type pg from 'pg';
import { PgClusterError } from '../errors/pgcluster-error';
import { QueryError } from '../errors/query-error';
import { currentRunScope } from './run-scope';

/** How to open connections to one node. */
export interface ConnectionConfig {
  /** The node's postgresql:// URL. */
  url: string;
  /** Use this database instead of the URL's. */
  database?: string;
  /** Pool size; default 10. */
  max?: number;
  /** Shown in `pg_stat_activity.application_name`; default `pgcluster`. */
  applicationName?: string;
  /** Give up connecting after this long; default 5,000 ms. */
  connectTimeoutMs?: number;
}

/**
 * Opens a `pg` pool for one node. The caller owns it and must `end()` it.
 *
 * @example
 * ```ts
 * const pool = createPgPool({ url: config.nodes[0].url, max: 4 })
 * try { await pool.query('select 1') } finally { await pool.end() }
 * ```
 */
export function createPgPool(config: ConnectionConfig): pg.Pool {
  const pool = new (pgDriver().Pool)({
    // pg lets a database named in the URL win over a `database` option, so rewrite the URL.
    connectionString: config.database ? urlWithDatabase(config.url, config.database) : config.url,
    max: config.max ?? 10,
    application_name: config.applicationName ?? 'pgcluster',
    connectionTimeoutMillis: config.connectTimeoutMs ?? 5_000,
    idleTimeoutMillis: 10_000,
    allowExitOnIdle: true,
  });
  // An idle client whose server went away emits 'error' on the pool; without a listener
  // that would crash the process. The next checkout reconnects, so nothing is lost.
  pool.on('error', () => undefined);
  // Each new connection joins the run it was opened for, so that stopping the run cancels it.
  pool.on('connect', (client) => {
    const scope = currentRunScope();
    if (!scope) return;
    if (scope.closed) return void (client as unknown as pg.Client).end().catch(() => undefined);
    client.once('end', scope.trackBackend(config.url, backendPid(client)));
  });
  return pool;
}

/**
 * Opens a Kysely instance over a `pg` pool for one node. The caller must `destroy()` it.
 *
 * @example
 * ```ts
 * const db = createKysely<MyDatabase>({ url })
 * const rows = await db.selectFrom('items').select(['id']).execute()
 * await db.destroy()
 * ```
 */
export function createKysely<DB = unknown>(config: ConnectionConfig): Kysely<DB> {
  // Loaded on first use: kysely is big, and a CLI command that never builds a query shouldn't pay for it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Kysely, PostgresDialect } = require('kysely') as typeof import('kysely');
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool: createPgPool(config) }) });
}

/**
 * Runs `fn` with one short-lived client and always closes it; errors become
 * {@link QueryError}s that name `context` and never carry secrets or bound values.
 *
 * @example
 * ```ts
 * const inRecovery = await withClient({ url }, 'checking the role of node2',
 *   async (c) => (await c.query('select pg_is_in_recovery() as r')).rows[0].r)
 * ```
 */
export async function withClient<T>(
  config: ConnectionConfig,
  context: string,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new (pgDriver().Client)({
    connectionString: config.database ? urlWithDatabase(config.url, config.database) : config.url,
    application_name: config.applicationName ?? 'pgcluster',
    connectionTimeoutMillis: config.connectTimeoutMs ?? 5_000,
  });
  client.on('error', () => undefined);
  const scope = currentRunScope();
  if (scope?.closed) throw new PgClusterError('ABORTED', `${context}: the run was stopped, so no new connection is opened`);
  let release: (() => void) | undefined;
  try {
    await client.connect();
    release = scope?.trackBackend(config.url, backendPid(client));
    return await fn(client);
  } catch (error) {
    throw QueryError.from(error, context);
  } finally {
    release?.();
    await client.end().catch(() => undefined);
  }
}

/**
 * A label for a node that is safe to print: `host:port/database`, no user or password.
 * @example nodeAddress('postgresql://u:p@127.0.0.1:5433/app') // '127.0.0.1:5433/app'
 */
export function nodeAddress(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname.length > 1 ? u.pathname : ''}`;
  } catch {
    return '(invalid url)';
  }
}

/**
 * The same connection URL with another database.
 * @example urlWithDatabase('postgresql://u:p@h:5432/app', 'shared') // 'postgresql://u:p@h:5432/shared'
 */
export function urlWithDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = '/' + encodeURIComponent(database);
  return u.toString();
}

/** The server pid of a connected client (`pg` sets it from BackendKeyData; its types omit it). */
function backendPid(client: pg.Client | pg.PoolClient): number {
  return (client as unknown as { processID: number }).processID;
}

/** The `pg` driver, loaded when a connection is first opened (not when the package is imported). */
function pgDriver(): typeof pg {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('pg') as typeof pg;
}
