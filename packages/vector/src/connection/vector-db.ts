import { type ClusterConfig, createPgPool, InputError, nodeAddress, PgClusterError, QueryError, withClient } from '@pgcluster/core';
import type pg from 'pg';
import { validateIdentifier } from '../collection/identifier';
import type { CollectionInfo } from '../collection/collection-info';

/** Where the vector functions connect: either explicit URLs or a cluster configuration. */
export interface VectorDbConfig {
  /** The primary's URL; with `replicaUrls`, an alternative to `cluster`. */
  primaryUrl?: string;
  /** Replica URLs searches may read from. */
  replicaUrls?: readonly string[];
  /** A cluster configuration with static `nodes`: roles are discovered with `pg_is_in_recovery()`. */
  cluster?: ClusterConfig;
  /** A database name, or a name from `cluster.databases` (e.g. `project`); default the URL's database. */
  database?: string;
  /** The schema collections live in; default `public`. */
  schema?: string;
  /** Connections per pool; default 10. */
  poolSize?: number;
  /** How long a collection's description is cached by this handle; default 10,000 ms. */
  cacheTtlMs?: number;
}

/**
 * An open set of pools over one cluster: a write pool on the primary and read pools on the
 * replicas. Every vector function takes one. The caller closes it with {@link VectorDb.close}.
 */
export interface VectorDb {
  readonly primary: pg.Pool;
  readonly replicas: readonly pg.Pool[];
  /** Where each pool connects (`host:port/db`, no password), for plans and reports. */
  readonly primaryLabel: string;
  readonly replicaLabels: readonly string[];
  /** The primary's URL and database, for short-lived dedicated clients (index builds). */
  readonly primaryConnection: { url: string; database?: string };
  readonly schema: string;
  /** Collection descriptions cached by this handle (not shared between handles). */
  readonly cache: Map<string, { info: CollectionInfo; at: number }>;
  readonly cacheTtlMs: number;
  /** Picks the next replica pool in turn, or the primary when there is none. */
  readPool(): { pool: pg.Pool; label: string };
  close(): Promise<void>;
}

/**
 * Opens pools on a cluster: the primary for writes and the replicas for reads. With a
 * `cluster` config the nodes' roles are discovered with `pg_is_in_recovery()`.
 *
 * @throws InputError when neither `primaryUrl` nor `cluster.nodes` is given, PgClusterError
 *   (`UNREACHABLE`) when no node is the primary.
 * @example
 * ```ts
 * const db = await openVectorDb({ cluster: loaded.config, database: 'project' })
 * try { await searchVectors(db, { collection: 'docs', vector, k: 10 }) } finally { await db.close() }
 * ```
 */
export async function openVectorDb(config: VectorDbConfig): Promise<VectorDb> {
  const schema = validateIdentifier(config.schema ?? 'public', 'schema');
  const database = resolveDatabase(config);
  let primaryUrl = config.primaryUrl;
  let replicaUrls = [...(config.replicaUrls ?? [])];
  if (!primaryUrl) {
    const nodes = config.cluster?.nodes;
    if (!nodes || nodes.length === 0) {
      throw new InputError('cluster.nodes', 'give primaryUrl, or a cluster config with static nodes (Patroni discovery is not supported by @pgcluster/vector yet)');
    }
    const roles = await Promise.all(
      nodes.map(async (n) => {
        try {
          const r = await withClient({ url: n.url, connectTimeoutMs: 3_000 }, `checking the role of ${n.name}`, async (c) =>
            (await c.query<{ r: boolean }>('select pg_is_in_recovery() as r')).rows[0]!.r,
          );
          return { url: n.url, replica: r, up: true };
        } catch {
          return { url: n.url, replica: true, up: false };
        }
      }),
    );
    primaryUrl = roles.find((r) => r.up && !r.replica)?.url;
    if (!primaryUrl) throw new PgClusterError('UNREACHABLE', 'no node of the cluster answered as the primary', { hint: 'Check the cluster with `pgcluster cluster-status`.' });
    replicaUrls = roles.filter((r) => r.up && r.replica).map((r) => r.url);
  }
  const max = config.poolSize ?? 10;
  const conn = (url: string) => ({ url, ...(database ? { database } : {}), max, applicationName: 'pgcluster-vector' });
  const primary = createPgPool(conn(primaryUrl));
  const replicas = replicaUrls.map((u) => createPgPool(conn(u)));
  const label = (u: string) => (database ? nodeAddress(u).replace(/\/[^/]*$|$/, `/${database}`) : nodeAddress(u));
  let next = 0;
  const replicaLabels = replicaUrls.map(label);
  return {
    primary,
    replicas,
    primaryLabel: label(primaryUrl),
    replicaLabels,
    primaryConnection: { url: primaryUrl, ...(database ? { database } : {}) },
    schema,
    cache: new Map(),
    cacheTtlMs: config.cacheTtlMs ?? 10_000,
    readPool() {
      if (replicas.length === 0) return { pool: primary, label: label(primaryUrl) };
      const i = next++ % replicas.length;
      return { pool: replicas[i]!, label: replicaLabels[i]! };
    },
    async close() {
      await Promise.all([primary, ...replicas].map((p) => p.end().catch(() => undefined)));
    },
  };
}

function resolveDatabase(config: VectorDbConfig): string | undefined {
  if (config.database === undefined) return undefined;
  const named = config.cluster?.databases?.[config.database];
  return validateIdentifier(named ?? config.database, 'database');
}

/**
 * Runs `fn` inside a transaction on one client of `pool`; rolls back on any error and wraps
 * driver errors into QueryErrors naming `context`.
 *
 * @example
 * ```ts
 * await inTransaction(db.primary, 'creating docs', (c) => c.query('create table …'))
 * ```
 */
export async function inTransaction<T>(pool: pg.Pool, context: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw QueryError.from(error, context);
  }
  let broken = false;
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw QueryError.from(error, context);
  } finally {
    client.release(broken);
  }
}
