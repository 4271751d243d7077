import type { CheckCategory } from './finding';

/** Every check's stable id; one tuple yields the type, the input validator and the CLI choices. */
export const CHECK_IDS = [
  'node_down',
  'no_primary',
  'split_brain',
  'recently_restarted',
  'pending_restart',
  'connection_saturation',
  'idle_in_transaction',
  'long_running_query',
  'prepared_transaction_age',
  'pgbouncer_pool_saturated',
  'lock_waits',
  'deadlocks',
  'xid_wraparound',
  'multixact_wraparound',
  'rollback_ratio',
  'dead_tuples',
  'autovacuum_overdue',
  'stale_statistics',
  'table_bloat',
  'index_bloat',
  'invalid_indexes',
  'duplicate_indexes',
  'unused_indexes',
  'cache_hit_ratio',
  'requested_checkpoints',
  'temp_files',
  'replication_lag',
  'replication_lag_seconds',
  'replica_not_streaming',
  'inactive_replication_slots',
  'sync_standby_missing',
  'archiving_failing',
  'sequence_exhaustion',
  'database_size',
  'disk_space',
  'vector_index_invalid',
  'vector_column_unindexed',
  'vector_index_larger_than_memory',
  'ivfflat_lists_mismatch',
  'vector_index_build_memory',
] as const;
/** One of {@link CHECK_IDS}. */
export type CheckId = (typeof CHECK_IDS)[number];

/**
 * Where a check runs: on the primary, on replicas, on every node, once over all nodes' answers,
 * or on PgBouncer's admin console (`pgbouncer.adminUrl` of the config; skipped without it).
 */
export const CHECK_SCOPES = ['primary', 'replica', 'every', 'cluster', 'pgbouncer'] as const;
/** One of {@link CHECK_SCOPES}. */
export type CheckScope = (typeof CHECK_SCOPES)[number];

/** A warning and an optional critical threshold, in the check's unit. */
export interface Thresholds {
  warning: number;
  /** null: the check never reports critical unless a run sets one. */
  critical: number | null;
}

/**
 * What the catalogue says about one check: its category, unit, direction, default thresholds
 * and where those defaults come from.
 * @example CHECK_CATALOGUE.idle_in_transaction.warning // 300
 */
export interface CheckDefinition extends Thresholds {
  id: CheckId;
  category: CheckCategory;
  unit: string;
  /** above: worse when the value is higher (value ≥ threshold); below: worse when lower (value ≤ threshold). */
  direction: 'above' | 'below';
  scope: CheckScope;
  /** What it measures, in a sentence. */
  description: string;
  /** Where the default thresholds come from. */
  source: string;
}

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

type Entry = Omit<CheckDefinition, 'id'>;

/**
 * The check catalogue: every check with its defaults. Thresholds are overridable per run
 * (`thresholds` input of monitoring-health).
 *
 * @example
 * ```ts
 * const { warning, critical, unit } = CHECK_CATALOGUE.sequence_exhaustion // 85, 95, 'percent'
 * ```
 */
export const CHECK_CATALOGUE: Readonly<Record<CheckId, CheckDefinition>> = withIds({
  // availability
  node_down: {
    category: 'availability', unit: 'nodes', direction: 'above', scope: 'cluster', warning: 1, critical: 1,
    description: 'A configured node does not answer.',
    source: "check_postgres 'connection' (critical when a connection fails); postgres_exporter mixin PostgreSQLDown",
  },
  no_primary: {
    category: 'availability', unit: 'primaries', direction: 'below', scope: 'cluster', warning: 0, critical: 0,
    description: 'No node that answers is a primary (every one is in recovery or down).',
    source: 'pgcluster cluster-status (critical: no primary)',
  },
  split_brain: {
    category: 'availability', unit: 'primaries', direction: 'above', scope: 'cluster', warning: 2, critical: 2,
    description: 'More than one node accepts writes.',
    source: 'pgcluster cluster-status (critical: more than one primary)',
  },
  recently_restarted: {
    category: 'availability', unit: 'seconds', direction: 'below', scope: 'every', warning: 60, critical: null,
    description: 'The server started less than the threshold ago (uptime).',
    source: 'awesome-prometheus-alerts PostgresqlRestarted (time() - pg_postmaster_start_time_seconds < 60)',
  },
  pending_restart: {
    category: 'availability', unit: 'settings', direction: 'above', scope: 'every', warning: 1, critical: 1,
    description: 'Settings changed in the configuration that only take effect after a restart (pg_settings.pending_restart).',
    source: 'pgMonitor PGSettingsPendingRestart (critical when any setting is pending)',
  },
  // connections
  connection_saturation: {
    category: 'connections', unit: 'percent', direction: 'above', scope: 'every', warning: 80, critical: 95,
    description: 'Client connections as a share of max_connections minus superuser_reserved_connections.',
    source: 'warning: postgres_exporter mixin PostgreSQLHighConnections (80%); critical: check_postgres backends (95%)',
  },
  idle_in_transaction: {
    category: 'connections', unit: 'seconds', direction: 'above', scope: 'every', warning: 300, critical: 900,
    description: 'A session idle inside an open transaction for longer than the threshold (holds locks and blocks vacuum).',
    source: 'pgMonitor PGIdleTxn (300 s / 900 s); check_postgres txn_idle has no defaults',
  },
  long_running_query: {
    category: 'connections', unit: 'seconds', direction: 'above', scope: 'every', warning: 43_200, critical: 86_400,
    description: 'A statement active for longer than the threshold.',
    source: 'pgMonitor PGQueryTime (12 h / 1 day); check_postgres query_time has no defaults',
  },
  prepared_transaction_age: {
    category: 'connections', unit: 'seconds', direction: 'above', scope: 'primary', warning: 1, critical: 30,
    description: 'A prepared (two-phase) transaction older than the threshold (holds locks and the xmin horizon).',
    source: 'check_postgres prepared_txns (1 s / 30 s)',
  },
  pgbouncer_pool_saturated: {
    category: 'connections', unit: 'seconds', direction: 'above', scope: 'pgbouncer', warning: 15, critical: 60,
    description: "A PgBouncer pool whose clients wait for a server connection (SHOW POOLS cl_waiting > 0): value is the oldest client's wait (maxwait); the message names the pool, waiting clients and pool size.",
    source: "grafana pgbouncer-mixin PGBouncerHighClientWaitTime (maxwait > 15 s); critical at 60 s, half PgBouncer's query_wait_timeout (120 s), after which waiting clients are disconnected",
  },
  // locks
  lock_waits: {
    category: 'locks', unit: 'seconds', direction: 'above', scope: 'every', warning: 30, critical: 300,
    description: 'A session waiting for a lock longer than the threshold, with its whole blocking chain.',
    source: 'check_postgres lockwait has no defaults; 30 s / 5 min chosen to ignore short waits',
  },
  deadlocks: {
    category: 'locks', unit: 'per_minute', direction: 'above', scope: 'primary', warning: 5, critical: null,
    description: 'Deadlocks per minute in a database, averaged since the statistics were reset.',
    source: 'awesome-prometheus-alerts PostgresqlDeadLocks (increase(pg_stat_database_deadlocks[1m]) > 5)',
  },
  // transactions
  xid_wraparound: {
    category: 'transactions', unit: 'percent', direction: 'above', scope: 'primary', warning: 50, critical: 75,
    description: "A database's age(datfrozenxid) as a share of the 2^31 hard limit (the message adds its share of autovacuum_freeze_max_age).",
    source: 'pgMonitor PGXIDWraparound (50% / 75% towards wraparound); check_postgres txn_wraparound 1.3e9 / 1.4e9 is ~61% / 65%',
  },
  multixact_wraparound: {
    category: 'transactions', unit: 'percent', direction: 'above', scope: 'primary', warning: 50, critical: 75,
    description: "A database's mxid_age(datminmxid) as a share of the 2^31 hard limit.",
    source: 'same limits as xid_wraparound (pgMonitor)',
  },
  rollback_ratio: {
    category: 'transactions', unit: 'percent', direction: 'above', scope: 'primary', warning: 2, critical: null,
    description: 'Rolled-back transactions as a share of all transactions of a database (at least 1,000 transactions).',
    source: 'awesome-prometheus-alerts PostgresqlHighRollbackRate (rollbacks > 2% of transactions)',
  },
  // vacuum and statistics
  dead_tuples: {
    category: 'vacuum', unit: 'percent', direction: 'above', scope: 'primary', warning: 20, critical: 50,
    description: 'Dead rows as a share of all rows of a table (at least 1,000 dead rows).',
    source: "PostgreSQL's autovacuum_vacuum_scale_factor default (0.2) for the warning; critical when half the table is dead",
  },
  autovacuum_overdue: {
    category: 'vacuum', unit: 'percent', direction: 'above', scope: 'primary', warning: 200, critical: 1000,
    description: "Dead rows as a share of the table's own autovacuum threshold (threshold + scale_factor × reltuples, reloptions included): past 200% autovacuum is not keeping up or is off.",
    source: "PostgreSQL's autovacuum formula; check_postgres last_autovacuum measures age instead (1 day / 2 days)",
  },
  stale_statistics: {
    category: 'vacuum', unit: 'percent', direction: 'above', scope: 'primary', warning: 200, critical: 1000,
    description: "Rows modified since the last analyze as a share of the table's autoanalyze threshold (at least 1,000 rows).",
    source: "PostgreSQL's autoanalyze formula; check_postgres last_autoanalyze measures age instead (1 day / 2 days)",
  },
  // bloat
  table_bloat: {
    category: 'bloat', unit: 'bytes', direction: 'above', scope: 'primary', warning: 1 * GIB, critical: 5 * GIB,
    description: 'Estimated wasted space of a table (from pg_stats widths; tables over 8 MiB), with a flag when the estimate is unreliable.',
    source: 'check_postgres bloat (1 GB / 5 GB wasted)',
  },
  index_bloat: {
    category: 'bloat', unit: 'bytes', direction: 'above', scope: 'primary', warning: 1 * GIB, critical: 5 * GIB,
    description: 'Estimated wasted space of a B-tree index (from pg_stats widths; indexes over 8 MiB), with a flag when the estimate is unreliable.',
    source: 'check_postgres bloat (1 GB / 5 GB wasted)',
  },
  // indexes
  invalid_indexes: {
    category: 'indexes', unit: 'indexes', direction: 'above', scope: 'primary', warning: 1, critical: null,
    description: 'An index left invalid by a failed CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY (_ccnew/_ccold), not being built now.',
    source: 'Postgres MCP Pro index health (invalid indexes)',
  },
  duplicate_indexes: {
    category: 'indexes', unit: 'bytes', direction: 'above', scope: 'primary', warning: 0, critical: null,
    description: 'An index with the same table, columns, operator classes, expressions and predicate as another (never a PK/unique one); value is its size.',
    source: 'Postgres MCP Pro index health (duplicate indexes)',
  },
  unused_indexes: {
    category: 'indexes', unit: 'bytes', direction: 'above', scope: 'primary', warning: 8 * MIB, critical: null,
    description: 'A non-unique index never scanned on the primary since the statistics reset (never PK/unique/constraint indexes); value is its size.',
    source: 'Postgres MCP Pro index health (unused indexes); the 8 MiB floor ignores small indexes',
  },
  // cache and I/O
  cache_hit_ratio: {
    category: 'cache', unit: 'percent', direction: 'below', scope: 'every', warning: 90, critical: 80,
    description: 'Share of block reads served from shared buffers, per database (at least 100,000 block accesses).',
    source: 'check_postgres hitratio has no defaults; 90% / 80% chosen (the commonly cited 90% floor for OLTP)',
  },
  requested_checkpoints: {
    category: 'cache', unit: 'percent', direction: 'above', scope: 'primary', warning: 50, critical: null,
    description: 'Requested (WAL-triggered) checkpoints as a share of all checkpoints (at least 10): max_wal_size is too small.',
    source: 'no reference default; PostgreSQL documentation, WAL configuration (checkpoints should mostly be timed)',
  },
  temp_files: {
    category: 'cache', unit: 'bytes_per_second', direction: 'above', scope: 'every', warning: 1 * MIB, critical: 10 * MIB,
    description: 'Temporary file bytes written per second by a database, averaged since the statistics reset (at least 100 MiB).',
    source: 'no reference default (pgwatch only graphs temp_bytes); 1 MiB/s ≈ 3.5 GB/h chosen',
  },
  // replication
  replication_lag: {
    category: 'replication', unit: 'bytes', direction: 'above', scope: 'primary', warning: 50 * MIB, critical: 100 * MIB,
    description: 'WAL bytes a standby has not replayed yet (pg_stat_replication on the primary).',
    source: 'pgMonitor PGReplicationByteLag (50 MB / 100 MB)',
  },
  replication_lag_seconds: {
    category: 'replication', unit: 'seconds', direction: 'above', scope: 'replica', warning: 30, critical: 300,
    description: "Seconds since the last replayed transaction on a replica that has WAL left to replay (0 when caught up).",
    source: 'pgcluster cluster-status (30 s); critical at 5 min',
  },
  replica_not_streaming: {
    category: 'replication', unit: 'receivers', direction: 'above', scope: 'replica', warning: 1, critical: 1,
    description: 'A replica whose WAL receiver is not streaming.',
    source: 'check_postgres hot_standby_delay fails when the standby does not stream',
  },
  inactive_replication_slots: {
    category: 'replication', unit: 'bytes', direction: 'above', scope: 'primary', warning: 0, critical: 1 * GIB,
    description: 'A replication slot nobody uses; value is the WAL it retains.',
    source: 'pgMonitor PGReplicationSlotsInactive (any inactive slot); critical past 1 GiB retained (check_postgres replication_slots has no defaults)',
  },
  sync_standby_missing: {
    category: 'replication', unit: 'standbys', direction: 'below', scope: 'primary', warning: 0, critical: 0,
    description: 'synchronous_standby_names is set but no standby is synchronous: commits wait.',
    source: 'critical: commits wait for a standby that is not there',
  },
  archiving_failing: {
    category: 'replication', unit: 'failures', direction: 'above', scope: 'every', warning: 1, critical: null,
    description: 'WAL archiving is failing now on a node (the last failure is newer than the last success): the primary, or a replica with archive_mode always.',
    source: 'pgMonitor PGArchiveCommandStatus (a recent failing archive_command)',
  },
  // capacity
  sequence_exhaustion: {
    category: 'capacity', unit: 'percent', direction: 'above', scope: 'primary', warning: 85, critical: 95,
    description: 'Share of a sequence used, against its maximum or the range of the integer column it feeds.',
    source: 'check_postgres sequence (85% / 95%)',
  },
  database_size: {
    category: 'capacity', unit: 'bytes', direction: 'above', scope: 'primary', warning: 100 * GIB, critical: 250 * GIB,
    description: 'Size of a database.',
    source: 'pgMonitor PGDBSize (100 GB / 250 GB)',
  },
  disk_space: {
    category: 'capacity', unit: 'percent', direction: 'above', scope: 'every', warning: 90, critical: 95,
    description: "Used share of the file system holding a node's data directory (only where it is local; otherwise skipped).",
    source: 'check_postgres disk_space (90% / 95%)',
  },
  // pgvector
  vector_index_invalid: {
    category: 'pgvector', unit: 'indexes', direction: 'above', scope: 'primary', warning: 1, critical: null,
    description: 'An HNSW or IVFFlat index that is invalid and not being built (searches fall back to exact scans).',
    source: 'pgcluster cluster-status (invalid HNSW indexes)',
  },
  vector_column_unindexed: {
    category: 'pgvector', unit: 'rows', direction: 'above', scope: 'primary', warning: 10_000, critical: null,
    description: 'A vector/halfvec column of a table with at least this many rows and no HNSW or IVFFlat index.',
    source: 'pgcluster cluster-status (10,000 rows)',
  },
  vector_index_larger_than_memory: {
    category: 'pgvector', unit: 'percent', direction: 'above', scope: 'primary', warning: 100, critical: 400,
    description: 'Size of a vector index as a share of shared_buffers (the message adds its share of effective_cache_size).',
    source: 'pgvector README: HNSW performs best when the index fits in memory',
  },
  ivfflat_lists_mismatch: {
    category: 'pgvector', unit: 'factor', direction: 'above', scope: 'primary', warning: 4, critical: null,
    description: 'How far an IVFFlat index\'s lists are from the recommended rows/1000 (sqrt(rows) above 1M rows), as a factor.',
    source: 'pgvector README (lists = rows / 1000 up to 1M rows, sqrt(rows) above)',
  },
  vector_index_build_memory: {
    category: 'pgvector', unit: 'percent', direction: 'above', scope: 'primary', warning: 100, critical: null,
    description: 'Size of an HNSW index as a share of maintenance_work_mem: a rebuild would not fit the graph in memory and slow down a lot.',
    source: "pgvector README ('hnsw graph no longer fits into maintenance_work_mem')",
  },
});

function withIds(entries: Record<CheckId, Entry>): Record<CheckId, CheckDefinition> {
  return Object.fromEntries(Object.entries(entries).map(([id, e]) => [id, { id: id as CheckId, ...e }])) as Record<CheckId, CheckDefinition>;
}

/**
 * How bad `value` is against `t`: critical, warning or null (fine), in the check's direction.
 * @example severityOf(CHECK_CATALOGUE.sequence_exhaustion, 90, { warning: 85, critical: 95 }) // 'warning'
 */
export function severityOf(def: Pick<CheckDefinition, 'direction'>, value: number, t: Thresholds): { severity: 'warning' | 'critical'; threshold: number } | null {
  const crosses = (limit: number) => (def.direction === 'above' ? value >= limit : value <= limit);
  if (t.critical !== null && crosses(t.critical)) return { severity: 'critical', threshold: t.critical };
  if (crosses(t.warning)) return { severity: 'warning', threshold: t.warning };
  return null;
}
