import {
  type ClusterConfig,
  createPgPool,
  createTopologyProvider,
  InputError,
  nodeAddress,
  PgClusterError,
  primaryClaimants,
  QueryError,
  requirePrimary,
  type Topology,
  type TopologyMember,
  type TopologyProvider,
} from '@pgcluster/core';
import type pg from 'pg';
import { validateIdentifier } from '../collection/identifier';
import type { CollectionInfo } from '../collection/collection-info';

/** Where the vector functions connect: either explicit URLs or a cluster configuration. */
export interface VectorDbConfig {
  /** The primary's URL; with `replicaUrls`, an alternative to `cluster` (roles are then taken as given). */
  primaryUrl?: string;
  /** Replica URLs searches may read from. */
  replicaUrls?: readonly string[];
  /** A cluster configuration: roles and lag come from its topology (static `nodes` or Patroni). */
  cluster?: ClusterConfig;
  /** Where roles come from instead of `cluster`'s default provider (a custom HA manager, tests). */
  provider?: TopologyProvider;
  /** A database name, or a name from `cluster.databases` (e.g. `project`); default the URL's database. */
  database?: string;
  /** The schema collections live in; default `public`. */
  schema?: string;
  /** Connections per pool; default 10. */
  poolSize?: number;
  /** How long a collection's description is cached by this handle; default 10,000 ms. */
  cacheTtlMs?: number;
  /** A replica further behind the primary than this (bytes of WAL) gets no reads; default 16 MiB. */
  maxReplicaLagBytes?: number;
  /** How long a resolved topology is trusted before a write resolves it again; default 1,000 ms. */
  topologyTtlMs?: number;
  /** How long a write waits for a (new) primary while there is none (mid-failover); default 15,000 ms. */
  failoverTimeoutMs?: number;
}

/**
 * The part of a `pg.Pool` the vector functions use (promise forms only), routed to the
 * cluster's current primary: it is resolved again when the topology is older than
 * `topologyTtlMs` or a connection to it fails, and a split brain is refused.
 */
export interface VectorPool {
  connect(): Promise<pg.PoolClient>;
  query: pg.Pool['query'];
  /** Forgets the resolved primary, so the next use resolves it again; absent on a plain pool. */
  invalidate?(): void;
}

/**
 * An open set of pools over one cluster: writes go to the current primary, reads to replicas
 * within the lag bound. Every vector function takes one. The caller closes it with
 * {@link VectorDb.close}.
 */
export interface VectorDb {
  /** The current primary (see {@link VectorPool}); refuses with `REFUSED` in a split brain. */
  readonly primary: VectorPool;
  /** Pools on the replicas that were within the lag bound at the last resolution. */
  readonly replicas: readonly pg.Pool[];
  /** Where the primary is (`host:port/db`, no password), for plans and reports. */
  readonly primaryLabel: string;
  readonly replicaLabels: readonly string[];
  /** The primary's URL and database as last resolved, for short-lived dedicated clients (index builds). */
  readonly primaryConnection: { url: string; database?: string };
  readonly schema: string;
  /** Collection descriptions cached by this handle (not shared between handles). */
  readonly cache: Map<string, { info: CollectionInfo; at: number }>;
  readonly cacheTtlMs: number;
  /** Picks the next replica within the lag bound in turn, or the primary when there is none. */
  readPool(): { pool: VectorPool; label: string };
  /** Resolves the topology now (e.g. after a switchover you ran yourself) and returns it. */
  refresh(): Promise<Topology>;
  close(): Promise<void>;
}

/**
 * Opens pools on a cluster. With a `cluster` config the topology comes from the same providers
 * as every other package (`static`: each node's `pg_is_in_recovery()` and WAL position;
 * `patroni`: its REST API): writes go to the one primary (a split brain, two nodes answering
 * "not in recovery", is refused with `REFUSED` rather than written to either side), reads to
 * replicas no further behind than `maxReplicaLagBytes`, and the primary is resolved again after
 * a failover (a connection that fails, a write a demoted node refuses as read-only).
 *
 * @throws InputError when neither `primaryUrl` nor `cluster` is given, PgClusterError
 *   (`UNREACHABLE`) when no node answers at all; writes throw `REFUSED` in a split brain.
 * @example
 * ```ts
 * const db = await openVectorDb({ cluster: loaded.config, database: 'project' })
 * try { await searchVectors(db, { collection: 'docs', vector, k: 10 }) } finally { await db.close() }
 * ```
 */
export async function openVectorDb(config: VectorDbConfig): Promise<VectorDb> {
  const schema = validateIdentifier(config.schema ?? 'public', 'schema');
  const database = resolveDatabase(config);
  const provider = config.provider ?? (config.primaryUrl ? givenTopology(config.primaryUrl, config.replicaUrls ?? []) : createTopologyProvider(requireCluster(config)));
  const route = new ClusterRoute(provider, {
    database,
    max: config.poolSize ?? 10,
    maxLagBytes: config.maxReplicaLagBytes ?? 16 * 1024 * 1024,
    ttlMs: config.topologyTtlMs ?? 1_000,
    failoverTimeoutMs: config.failoverTimeoutMs ?? 15_000,
  });
  const topology = await route.refresh();
  if (topology.members.every((m) => m.role === 'unreachable')) {
    await route.close();
    throw new PgClusterError('UNREACHABLE', `no node of the cluster answered: ${topology.problems.join('; ') || 'no members'}`, {
      hint: 'Check the cluster with `pgcluster cluster-status`.',
    });
  }
  const primary: VectorPool = {
    connect: () => route.connectPrimary(),
    query: ((...args: unknown[]) => route.onPrimary((c) => (c.query as (...a: unknown[]) => Promise<unknown>)(...args))) as pg.Pool['query'],
    invalidate: () => route.invalidate(),
  };
  let next = 0;
  return {
    primary,
    get replicas() {
      return route.readers().map((m) => route.pool(m));
    },
    get primaryLabel() {
      return route.primaryLabel();
    },
    get replicaLabels() {
      return route.readers().map((m) => route.label(m));
    },
    get primaryConnection() {
      const m = route.lastPrimary();
      return { url: m.url, ...(database ? { database } : {}) };
    },
    schema,
    cache: new Map(),
    cacheTtlMs: config.cacheTtlMs ?? 10_000,
    readPool() {
      const readers = route.readers();
      if (readers.length === 0) return { pool: primary, label: route.primaryLabel() };
      const m = readers[next++ % readers.length]!;
      return { pool: route.pool(m), label: route.label(m) };
    },
    refresh: () => route.refresh(),
    close: () => route.close(),
  };
}

interface RouteOptions {
  database: string | undefined;
  max: number;
  maxLagBytes: number;
  ttlMs: number;
  failoverTimeoutMs: number;
}

/** The topology of one handle and a pg pool per member URL; no module-level state. */
class ClusterRoute {
  readonly #provider: TopologyProvider;
  readonly #options: RouteOptions;
  readonly #pools = new Map<string, pg.Pool>();
  #topology: Topology | undefined;
  #refreshing: Promise<Topology> | undefined;

  constructor(provider: TopologyProvider, options: RouteOptions) {
    this.#provider = provider;
    this.#options = options;
  }

  refresh(): Promise<Topology> {
    this.#refreshing ??= this.#provider
      .resolve()
      .then((t) => (this.#topology = t))
      .finally(() => (this.#refreshing = undefined));
    return this.#refreshing;
  }

  async #current(): Promise<Topology> {
    const t = this.#topology;
    return t && Date.now() - t.resolvedAt.getTime() < this.#options.ttlMs ? t : this.refresh();
  }

  /** The primary, waiting within `failoverTimeoutMs` while there is none; a split brain is refused at once. */
  async #primary(): Promise<TopologyMember> {
    const deadline = Date.now() + this.#options.failoverTimeoutMs;
    for (let t = await this.#current(); ; t = await this.refresh()) {
      if (t.primary) return t.primary;
      if (primaryClaimants(t).length > 1 || Date.now() + 250 > deadline) return requirePrimary(t, 'writing to the primary');
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** A client on the primary; a primary that cannot be reached is resolved again (a failover) until the deadline. */
  async connectPrimary(): Promise<pg.PoolClient> {
    const deadline = Date.now() + this.#options.failoverTimeoutMs;
    for (;;) {
      const member = await this.#primary();
      try {
        return await this.pool(member).connect();
      } catch (error) {
        if (Date.now() + 250 > deadline) throw QueryError.from(error, `connecting to the primary ${member.name}`);
        this.#topology = undefined;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  /**
   * Runs `fn` on a primary client; a statement a demoted node refuses as read-only (SQLSTATE
   * 25006: nothing was written) runs again on the primary resolved anew, once.
   */
  async onPrimary<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.connectPrimary();
      try {
        return await fn(client);
      } catch (error) {
        if (attempt > 1 || !isReadOnlyRejection(error)) throw error;
        this.#topology = undefined;
      } finally {
        client.release();
      }
    }
  }

  /** Forget the topology: the next write resolves the primary again. */
  invalidate(): void {
    this.#topology = undefined;
  }

  /**
   * Replicas within the lag bound at the last resolution; a topology older than `ttlMs` is
   * resolved again in the background, so a handle that only reads follows the lag too.
   */
  readers(): TopologyMember[] {
    const t = this.#topology;
    if (t && Date.now() - t.resolvedAt.getTime() >= this.#options.ttlMs) void this.refresh().catch(() => undefined);
    return (t?.members ?? []).filter((m) => m.role === 'replica' && m.lagBytes !== undefined && m.lagBytes <= this.#options.maxLagBytes);
  }

  /** The primary as last resolved (openVectorDb resolves once before handing the handle out). */
  lastPrimary(): TopologyMember {
    return requirePrimary(this.#topology!, 'writing to the primary');
  }

  primaryLabel(): string {
    const t = this.#topology;
    if (t?.primary) return this.label(t.primary);
    const claimants = t ? primaryClaimants(t) : [];
    return claimants.length > 1 ? `no primary (split brain: ${claimants.map((m) => m.name).join(', ')})` : 'no primary (none answers)';
  }

  label(member: TopologyMember): string {
    const db = this.#options.database;
    return db ? nodeAddress(member.url).replace(/\/[^/]*$|$/, `/${db}`) : nodeAddress(member.url);
  }

  pool(member: TopologyMember): pg.Pool {
    let pool = this.#pools.get(member.url);
    if (!pool) {
      const db = this.#options.database;
      pool = createPgPool({ url: member.url, ...(db ? { database: db } : {}), max: this.#options.max, applicationName: 'pgcluster-vector' });
      this.#pools.set(member.url, pool);
    }
    return pool;
  }

  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((p) => p.end().catch(() => undefined)));
  }
}

/** Roles as the caller gave them (`primaryUrl`, `replicaUrls`): nothing is probed, replicas count as caught up. */
function givenTopology(primaryUrl: string, replicaUrls: readonly string[]): TopologyProvider {
  return {
    kind: 'given',
    resolve: () => {
      const primary: TopologyMember = { name: 'primary', url: primaryUrl, role: 'primary', lagBytes: 0 };
      const replicas = replicaUrls.map((url, i): TopologyMember => ({ name: `replica${i + 1}`, url, role: 'replica', lagBytes: 0 }));
      return Promise.resolve({ primary, members: [primary, ...replicas], resolvedAt: new Date(), problems: [] });
    },
  };
}

function requireCluster(config: VectorDbConfig): ClusterConfig {
  if (!config.cluster) throw new InputError('cluster', 'give primaryUrl, or a cluster config (static nodes or Patroni)');
  return config.cluster;
}

function isReadOnlyRejection(error: unknown): boolean {
  const e = (error ?? {}) as { code?: unknown; sqlState?: unknown; cause?: unknown };
  return e.code === '25006' || e.sqlState === '25006' || (e.cause !== undefined && e.cause !== error && isReadOnlyRejection(e.cause));
}

function resolveDatabase(config: VectorDbConfig): string | undefined {
  if (config.database === undefined) return undefined;
  const named = config.cluster?.databases?.[config.database];
  return validateIdentifier(named ?? config.database, 'database');
}

/**
 * Runs `fn` inside a transaction on one client of `pool`; rolls back on any error and wraps
 * driver errors into QueryErrors naming `context`. On the cluster's primary ({@link VectorDb.primary})
 * a transaction a demoted node refused as read-only (nothing was written) runs once more on the
 * primary resolved anew.
 *
 * @example
 * ```ts
 * await inTransaction(db.primary, 'creating docs', (c) => c.query('create table …'))
 * ```
 */
export async function inTransaction<T>(pool: VectorPool, context: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await transactionOnce(pool, fn);
    } catch (error) {
      // A demoted primary refused it: nothing was written; run it once more on the new primary.
      if (attempt === 1 && pool.invalidate && isReadOnlyRejection(error)) {
        pool.invalidate();
        continue;
      }
      throw QueryError.from(error, context);
    }
  }
}

async function transactionOnce<T>(pool: VectorPool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
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
    throw error;
  } finally {
    client.release(broken);
  }
}
