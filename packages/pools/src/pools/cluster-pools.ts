import {
  createPgPool,
  createTopologyProvider,
  InputError,
  nodeAddress,
  PgClusterError,
  QueryError,
  requirePrimary,
  urlWithDatabase,
  type ClusterConfig,
  type Topology,
  type TopologyMember,
  type TopologyProvider,
} from '@pgcluster/core';
import type pg from 'pg';
import { isConnectionLoss, isReadOnlyRejection } from './connection-loss';
import { applyLocalSettings, validateSettings, type QuerySettings } from './query-settings';

/** What a pool serves: writes (on the primary) or reads (on a replica, else the primary). */
export const POOL_PURPOSES = ['write', 'read'] as const;
/** One of {@link POOL_PURPOSES}. */
export type PoolPurpose = (typeof POOL_PURPOSES)[number];

/** The largest pool size {@link ClusterPools.resize} accepts. */
export const MAX_POOL_SIZE = 1000;

/** How {@link ClusterPools} behaves; every field has a default. */
export interface ClusterPoolsOptions {
  /** Where roles come from; default `patroni` when `config.patroni` is set, else `static` over `config.nodes`. */
  provider?: TopologyProvider;
  /** For the default Patroni provider: a URL whose user, password and database are used for every member; default the first configured node's URL. */
  memberUrlTemplate?: string;
  /** Size of each write pool; default 10. */
  writeMax?: number;
  /** Size of each read pool; default 10. */
  readMax?: number;
  /** A replica further behind the primary than this (bytes of WAL) gets no reads; default 16 MiB. */
  maxReplicaLagBytes?: number;
  /** How long a resolved topology is trusted before it is resolved again; default 1,000 ms. */
  topologyTtlMs?: number;
  /** How long a transaction waits for a (new) primary and keeps retrying after a lost connection; default 15,000 ms. */
  failoverTimeoutMs?: number;
  /** Pause between retries; default 250 ms. */
  retryIntervalMs?: number;
  /** `application_name` of pooled connections; default `pgcluster`. */
  applicationName?: string;
  /** Connect timeout of pooled connections; default 3,000 ms. */
  connectTimeoutMs?: number;
}

/** Options of one transaction run through {@link ClusterPools.read} or {@link ClusterPools.write}. */
export interface TransactionOptions {
  /** A name from `config.databases` (e.g. `project`, `shared`); default the node URL's database. */
  database?: string;
  /**
   * Writes only: the transaction may run again after a connection was lost mid-way (it is
   * idempotent, or its outcome being applied twice is harmless). Reads are always retryable.
   */
  retryable?: boolean;
  /** `SET LOCAL` settings for this transaction only, e.g. `{ 'hnsw.ef_search': 100 }`. */
  settings?: QuerySettings;
  /** Cancels waiting and retrying. */
  signal?: AbortSignal;
}

/** What one transaction ran on, and how many attempts it took (see {@link ClusterPools.lastRoute}). */
export interface RouteInfo {
  purpose: PoolPurpose;
  node: string;
  database: string | undefined;
  attempts: number;
}

/** Numbers for one pool. */
export interface PoolStats {
  purpose: PoolPurpose;
  node: string;
  /** `host:port/database` — never a password. */
  address: string;
  /** The logical name (`project`) or `(default)`. */
  database: string;
  /** The node's role at the last topology resolution. */
  role: TopologyMember['role'] | 'gone';
  total: number;
  idle: number;
  waiting: number;
  max: number;
  /** Connections in use ÷ max, 0..1. */
  utilisation: number;
}

/** Which pools a resize applies to. */
export interface ResizeRequest {
  /** The new size of each matching pool (1..{@link MAX_POOL_SIZE}). */
  max: number;
  /** `write`, `read` or both (default). New pools of that purpose get the size too. */
  purpose?: PoolPurpose | 'all';
}

/** The result of {@link ClusterPools.resize}: one line per pool changed. */
export interface ResizeResult {
  changed: { purpose: PoolPurpose; node: string; database: string; before: number; after: number }[];
  /** The default sizes for pools created from now on. */
  defaults: { writeMax: number; readMax: number };
}

interface PoolEntry {
  purpose: PoolPurpose;
  node: string;
  url: string;
  databaseName: string;
  database: string | undefined;
  pool: pg.Pool;
}

const DEFAULT_DB = '(default)';

/**
 * Topology-aware pools for one cluster: a write pool on the primary and read pools on
 * replicas, per named database. Reads skip replicas lagging beyond a bound (and fall back to
 * the primary when none qualifies); after a failover the primary is resolved again, and a
 * transaction that lost its connection is run again only when that is safe: reads, writes the
 * caller marked `retryable`, writes that failed before their first statement was sent, and
 * writes a demoted node refused as read-only. Holds no module-level state: close it.
 *
 * @example
 * ```ts
 * const pools = createClusterPools(loadConfig().config, { maxReplicaLagBytes: 1 << 20 })
 * try {
 *   await pools.write((c) => c.query('insert into t(id) values ($1) on conflict do nothing', [7]), { retryable: true })
 *   const { rows } = await pools.read((c) => c.query('select count(*) from t'), { database: 'project' })
 * } finally {
 *   await pools.close()
 * }
 * ```
 */
export class ClusterPools {
  readonly #config: ClusterConfig;
  readonly #provider: TopologyProvider;
  readonly #pools = new Map<string, PoolEntry>();
  readonly #options: Required<Omit<ClusterPoolsOptions, 'provider' | 'memberUrlTemplate'>>;
  #topology: Topology | undefined;
  #refreshing: Promise<Topology> | undefined;
  #roundRobin = 0;
  #closed = false;
  #lastRoute: RouteInfo | undefined;

  constructor(config: ClusterConfig, options: ClusterPoolsOptions = {}) {
    this.#config = config;
    this.#provider = options.provider ?? createTopologyProvider(config, options.memberUrlTemplate);
    this.#options = {
      writeMax: checkSize('writeMax', options.writeMax ?? 10),
      readMax: checkSize('readMax', options.readMax ?? 10),
      maxReplicaLagBytes: options.maxReplicaLagBytes ?? 16 * 1024 * 1024,
      topologyTtlMs: options.topologyTtlMs ?? 1_000,
      failoverTimeoutMs: options.failoverTimeoutMs ?? 15_000,
      retryIntervalMs: options.retryIntervalMs ?? 250,
      applicationName: options.applicationName ?? 'pgcluster',
      connectTimeoutMs: options.connectTimeoutMs ?? 3_000,
    };
  }

  /** The topology provider's kind (`static`, `patroni`, …). */
  get providerKind(): string {
    return this.#provider.kind;
  }

  /** Where the last transaction ran (node, database, attempts); for logs and tests. */
  get lastRoute(): RouteInfo | undefined {
    return this.#lastRoute;
  }

  /**
   * The topology, resolved again when older than `topologyTtlMs`.
   * @example
   * ```ts
   * const { primary } = await pools.topology()
   * ```
   */
  async topology(): Promise<Topology> {
    const t = this.#topology;
    if (t && Date.now() - t.resolvedAt.getTime() < this.#options.topologyTtlMs) return t;
    return this.refresh();
  }

  /**
   * Resolves the topology now (concurrent callers share one resolution).
   * @example
   * ```ts
   * await pools.refresh() // after a switchover you performed yourself
   * ```
   */
  refresh(signal?: AbortSignal): Promise<Topology> {
    this.#assertOpen();
    this.#refreshing ??= this.#provider
      .resolve(signal)
      .then((t) => (this.#topology = t))
      .finally(() => (this.#refreshing = undefined));
    return this.#refreshing;
  }

  /**
   * Runs `fn` in a transaction on the primary and commits. See the class notes for when it is retried.
   * @example
   * ```ts
   * await pools.write(async (c) => { await c.query('update t set n = n + 1 where id = $1', [1]) })
   * ```
   */
  write<T>(fn: (client: pg.PoolClient) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    return this.#run('write', fn, options);
  }

  /**
   * Runs `fn` in a `READ ONLY` transaction on a replica within the lag bound, else on the primary.
   * @example
   * ```ts
   * const n = await pools.read(async (c) => (await c.query('select count(*)::int as n from t')).rows[0].n)
   * ```
   */
  read<T>(fn: (client: pg.PoolClient) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    return this.#run('read', fn, { ...options, retryable: true });
  }

  /**
   * One statement in its own transaction: `pools.query('read', sql, params)`.
   * @example
   * ```ts
   * const { rows } = await pools.query('read', 'select id from t where id = $1', [1], { database: 'project' })
   * ```
   */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    purpose: PoolPurpose,
    sql: string,
    params: unknown[] = [],
    options: TransactionOptions = {},
  ): Promise<pg.QueryResult<R>> {
    const fn = (c: pg.PoolClient) => c.query<R>(sql, params);
    return purpose === 'read' ? this.read(fn, options) : this.write(fn, options);
  }

  /**
   * Numbers for every pool opened so far.
   * @example
   * ```ts
   * for (const s of pools.stats()) console.log(s.purpose, s.node, s.database, `${Math.round(s.utilisation * 100)}%`)
   * ```
   */
  stats(): PoolStats[] {
    const roles = new Map((this.#topology?.members ?? []).map((m) => [m.name, m.role]));
    return [...this.#pools.values()].map((e) => {
      const max = e.pool.options.max ?? 10;
      const inUse = e.pool.totalCount - e.pool.idleCount;
      return {
        purpose: e.purpose,
        node: e.node,
        address: nodeAddress(e.url).replace(/\/.*$/, '') + `/${e.databaseName}`,
        database: e.database ?? DEFAULT_DB,
        role: roles.get(e.node) ?? 'gone',
        total: e.pool.totalCount,
        idle: e.pool.idleCount,
        waiting: e.pool.waitingCount,
        max,
        utilisation: max > 0 ? Math.round((inUse / max) * 1000) / 1000 : 0,
      };
    });
  }

  /**
   * Changes the size of open pools (and of pools opened later) at runtime. Growing takes
   * effect at once; shrinking stops new connections beyond the size, and surplus idle ones
   * close within the idle timeout (10 s).
   * @throws InputError when `max` is not an integer from 1 to {@link MAX_POOL_SIZE}.
   * @example
   * ```ts
   * pools.resize({ purpose: 'read', max: 20 }).changed // [{ node: 'node2', before: 10, after: 20, … }]
   * ```
   */
  resize(request: ResizeRequest): ResizeResult {
    this.#assertOpen();
    const max = checkSize('max', request.max);
    const purpose = request.purpose ?? 'all';
    if (!['write', 'read', 'all'].includes(purpose)) throw new InputError('purpose', 'must be write, read or all');
    if (purpose !== 'read') this.#options.writeMax = max;
    if (purpose !== 'write') this.#options.readMax = max;
    const changed: ResizeResult['changed'] = [];
    for (const e of this.#pools.values()) {
      if (purpose !== 'all' && e.purpose !== purpose) continue;
      const before = e.pool.options.max ?? 10;
      e.pool.options.max = max;
      changed.push({ purpose: e.purpose, node: e.node, database: e.database ?? DEFAULT_DB, before, after: max });
    }
    return { changed, defaults: { writeMax: this.#options.writeMax, readMax: this.#options.readMax } };
  }

  /**
   * Ends every pool. Further calls throw.
   * @example
   * ```ts
   * await pools.close()
   * ```
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const all = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(all.map((e) => e.pool.end().catch(() => undefined)));
  }

  async #run<T>(purpose: PoolPurpose, fn: (client: pg.PoolClient) => Promise<T>, options: TransactionOptions): Promise<T> {
    this.#assertOpen();
    validateSettings(options.settings);
    const database = this.#databaseName(options.database);
    const deadline = Date.now() + this.#options.failoverTimeoutMs;
    for (let attempt = 1; ; attempt++) {
      throwIfAborted(options.signal);
      const entry = await this.#route(purpose, options.database, database, deadline, options.signal);
      let client: pg.PoolClient | undefined;
      let sent = false;
      // A checked-out pg client has no 'error' listener: a server dying while `fn` awaits
      // something else would throw an unhandled 'error' event. The next query reports it.
      const onClientError = () => undefined;
      try {
        client = await entry.pool.connect();
        client.on('error', onClientError);
        await client.query(purpose === 'read' ? 'begin transaction read only' : 'begin');
        await applyLocalSettings(client, options.settings);
        sent = true;
        const result = await fn(client);
        await client.query('commit');
        client.removeListener('error', onClientError);
        client.release();
        this.#lastRoute = { purpose, node: entry.node, database: options.database, attempts: attempt };
        return result;
      } catch (error) {
        const lost = isConnectionLoss(error);
        const demoted = purpose === 'write' && isReadOnlyRejection(error);
        if (client) {
          if (!lost) await client.query('rollback').catch(() => undefined);
          client.removeListener('error', onClientError);
          client.release(lost ? (error as Error) : undefined);
        }
        if (!client && !lost && !demoted && /timeout exceeded when trying to connect/i.test(messageOf(error))) {
          const stats = { max: entry.pool.options.max, waiting: entry.pool.waitingCount };
          throw new PgClusterError('TIMEOUT', `no free connection in the ${purpose} pool on ${entry.node} within ${this.#options.connectTimeoutMs} ms (max ${stats.max}, ${stats.waiting} waiting)`, {
            cause: error,
            hint: 'The pool is saturated: resize it (pools.resize / pgcluster cluster-scale) or shorten the transactions.',
          });
        }
        if (!lost && !demoted) throw wrap(error, `${purpose} transaction on ${entry.node}`);
        this.#topology = undefined; // resolve again before the next use, whoever it is
        // Safe to run again: nothing reached the server, a read, a write the caller marked
        // retryable, or a write a no-longer-primary refused (it wrote nothing).
        const safe = !sent || purpose === 'read' || options.retryable === true || demoted;
        if (!safe) {
          throw new QueryError(
            `write transaction on ${entry.node} lost its connection and was not retried: ${messageOf(error)}`,
            codeOf(error) ?? '08006',
            {
              cause: error,
              hint: 'Its outcome is unknown. Check whether it was applied, or pass { retryable: true } for idempotent writes so they are retried on the new primary.',
            },
          );
        }
        if (Date.now() + this.#options.retryIntervalMs > deadline) {
          throw new QueryError(`${purpose} transaction failed after ${attempt} attempts: ${messageOf(error)}`, codeOf(error) ?? '08006', {
            cause: error,
            hint: `No usable ${purpose === 'write' ? 'primary' : 'node'} within ${this.#options.failoverTimeoutMs} ms; check the cluster (pgcluster cluster-status).`,
          });
        }
        await sleep(this.#options.retryIntervalMs, options.signal);
      }
    }
  }

  async #route(purpose: PoolPurpose, logical: string | undefined, database: string | undefined, deadline: number, signal?: AbortSignal): Promise<PoolEntry> {
    for (;;) {
      const topology = await this.topology();
      const member = purpose === 'write' ? topology.primary : this.#pickReader(topology);
      if (member) return this.#pool(purpose, member, logical, database);
      if (Date.now() + this.#options.retryIntervalMs > deadline) {
        if (purpose === 'write') requirePrimary(topology, 'a write'); // throws: split brain (REFUSED) or no primary
        throw new PgClusterError('UNREACHABLE', `no primary to ${purpose === 'write' ? 'write to' : 'read from'}: ${topology.problems.join('; ') || 'none found'}`, {
          hint: 'A failover may be in progress; check pgcluster cluster-status.',
        });
      }
      await sleep(this.#options.retryIntervalMs, signal);
      this.#topology = undefined;
    }
  }

  #pickReader(topology: Topology): TopologyMember | undefined {
    const eligible = topology.members.filter(
      (m) => m.role === 'replica' && m.lagBytes !== undefined && m.lagBytes <= this.#options.maxReplicaLagBytes,
    );
    if (eligible.length === 0) return topology.primary;
    this.#roundRobin = (this.#roundRobin + 1) % 1_000_000;
    return eligible[this.#roundRobin % eligible.length];
  }

  #pool(purpose: PoolPurpose, member: TopologyMember, logical: string | undefined, database: string | undefined): PoolEntry {
    const key = `${purpose}\u0000${member.name}\u0000${member.url}\u0000${logical ?? ''}`;
    let entry = this.#pools.get(key);
    if (!entry) {
      // The database goes into the URL itself: pg lets a connectionString's database win over
      // a separate `database` option, so core's `database` field alone would be ignored.
      const pool = createPgPool({
        url: database ? urlWithDatabase(member.url, database) : member.url,
        max: purpose === 'write' ? this.#options.writeMax : this.#options.readMax,
        applicationName: this.#options.applicationName,
        connectTimeoutMs: this.#options.connectTimeoutMs,
      });
      const databaseName = database ?? (decodeURIComponent(new URL(member.url).pathname.slice(1)) || 'postgres');
      entry = { purpose, node: member.name, url: member.url, database: logical, databaseName, pool };
      this.#pools.set(key, entry);
    }
    return entry;
  }

  #databaseName(logical: string | undefined): string | undefined {
    if (logical === undefined) return undefined;
    const name = this.#config.databases[logical];
    if (name === undefined) {
      const known = Object.keys(this.#config.databases);
      throw new InputError('database', `must be one of the configured databases (${known.length ? known.join(', ') : 'none configured'}), or omitted for the default`);
    }
    return name;
  }

  #assertOpen(): void {
    if (this.#closed) throw new PgClusterError('ACTION_FAILED', 'these pools are closed');
  }
}

/**
 * Creates {@link ClusterPools} for a configuration; nothing connects until first use.
 *
 * @example
 * ```ts
 * const pools = createClusterPools(config, { writeMax: 5, readMax: 20 })
 * ```
 */
export function createClusterPools(config: ClusterConfig, options: ClusterPoolsOptions = {}): ClusterPools {
  return new ClusterPools(config, options);
}

function checkSize(field: string, value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > MAX_POOL_SIZE) {
    throw new InputError(field, `must be an integer from 1 to ${MAX_POOL_SIZE}`);
  }
  return value;
}

function wrap(error: unknown, context: string): unknown {
  const e = error as { code?: unknown } | null;
  return e && typeof e === 'object' && typeof e.code === 'string' ? QueryError.from(error, context) : error;
}

function messageOf(error: unknown): string {
  return QueryError.from(error, 'x').message.replace(/^x: /, '');
}

function codeOf(error: unknown): string | undefined {
  const e = (error ?? {}) as { code?: unknown };
  return typeof e.code === 'string' ? e.code : undefined;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new PgClusterError('ABORTED', 'cancelled');
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(t);
      reject(new PgClusterError('ABORTED', 'cancelled'));
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
