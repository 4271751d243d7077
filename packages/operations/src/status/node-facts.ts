import type { HnswIndex } from './cluster-status-schema';

/**
 * One WAL sender on a primary (a row of `pg_stat_replication`).
 * @example primaryFacts.senders?.find((s) => s.applicationName === 'node2')?.lagBytes
 */
export interface SenderFacts {
  pid: number;
  applicationName: string;
  /** The replication slot the sender serves, if any. */
  slotName: string | null;
  state: string | null;
  syncState: string | null;
  /** `pg_current_wal_lsn() - replay_lsn`, null when the row hides its positions. */
  lagBytes: number | null;
  writeLagS: number | null;
  flushLagS: number | null;
  replayLagS: number | null;
}

/**
 * A replica's own view of its replication.
 * @example replicaFacts.replica?.receiverStatus === 'streaming'
 */
export interface ReplicaFacts {
  receiveLsn: string | null;
  replayLsn: string | null;
  /** Received but not yet replayed, in bytes. */
  gapBytes: number | null;
  /** 0 when caught up, else `now() - pg_last_xact_replay_timestamp()`. */
  delaySeconds: number | null;
  /** `pg_stat_wal_receiver.status`, null when no WAL receiver runs. */
  receiverStatus: string | null;
  slotName: string | null;
}

/**
 * pgvector and HNSW indexes, as seen in one database of one node.
 * @example facts.hnsw?.indexes.filter((ix) => !ix.valid)
 */
export interface HnswFacts {
  database: string;
  /** null when the vector extension is not installed there. */
  vectorVersion: string | null;
  indexes: HnswIndex[];
  unindexedVectorColumns: { schema: string; table: string; column: string; rows: number }[];
}

/**
 * One performance sample on a primary.
 * @example const sample: PerformanceSample = { atMs: performance.now(), xacts: 500, calls: 1000, execMs: 2000 }
 */
export interface PerformanceSample {
  /** A monotonic clock reading, ms. */
  atMs: number;
  /** Sum of xact_commit + xact_rollback over pg_stat_database. */
  xacts: number;
  /** Sum of pg_stat_statements.calls (this check excluded); null without pg_stat_statements. */
  calls: number | null;
  /** Sum of pg_stat_statements.total_exec_time, ms; null without pg_stat_statements. */
  execMs: number | null;
}

/**
 * Two samples `sampleMs` apart (one when the window is 0).
 * @example facts.performance?.statementsAvailable // false without pg_stat_statements
 */
export interface PerformanceFacts {
  first: PerformanceSample;
  second: PerformanceSample | null;
  /** pg_stat_statements is installed and loaded. */
  statementsAvailable: boolean;
  /** Why pg_stat_statements could not be read, when it could not. */
  statementsProblem: string | null;
}

/**
 * Server connections on one node.
 * @example const pool: PoolFacts = { active: 17, max: 20, executing: 2, idleInTransaction: 0 }
 */
export interface PoolFacts {
  active: number;
  max: number;
  executing: number;
  idleInTransaction: number;
}

/**
 * Everything collected from one node. A node that could not be reached has `up: false`
 * and an `error`; the rest is absent. Pure data: {@link assessClusterStatus} turns it into a report.
 * @example const down: NodeFacts = { name: 'node2', address: '127.0.0.1:5433/app', up: false, error: 'connection refused' }
 */
export interface NodeFacts {
  name: string;
  /** host:port/database, never with credentials. */
  address: string;
  up: boolean;
  /** Why it is down, without secrets. */
  error?: string;
  connectMs?: number;
  latencyMs?: number;
  inRecovery?: boolean;
  /** Not in recovery but `default_transaction_read_only` on in the server's configuration: an old primary fenced by cluster-failover. */
  fenced?: boolean;
  version?: string;
  versionNum?: number;
  pool?: PoolFacts;
  /** Replicas only. */
  replica?: ReplicaFacts;
  /** Primaries only: pg_stat_replication. */
  senders?: SenderFacts[];
  hnsw?: HnswFacts;
  /** Why the HNSW facts could not be read. */
  hnswError?: string;
  /** Primaries only. */
  performance?: PerformanceFacts;
}

/**
 * Facts about the whole cluster: the input of {@link assessClusterStatus}.
 * @example assessClusterStatus({ name: 'demo', nodes: await Promise.all(nodes.map((n) => collectNodeFacts(n, options))) }, thresholds)
 */
export interface ClusterFacts {
  /** The configured cluster name. */
  name: string;
  /** One entry per configured node, in configuration order. */
  nodes: NodeFacts[];
}

/**
 * The thresholds status is judged by (the numeric fields of `ClusterStatusInput`).
 * @example const t: StatusThresholds = { lagBytesThreshold: 64 * 2 ** 20, lagSecondsThreshold: 30, slowQueryMs: 100, poolUtilizationPct: 80 }
 */
export interface StatusThresholds {
  lagBytesThreshold: number;
  lagSecondsThreshold: number;
  slowQueryMs: number;
  poolUtilizationPct: number;
}
