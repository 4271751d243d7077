import { z } from 'zod';

/**
 * Overall states a status report can have; one tuple yields the type and the schema.
 * @example CLUSTER_STATES.includes(report.status) // true
 */
export const CLUSTER_STATES = ['healthy', 'degraded', 'critical'] as const;
/** One of {@link CLUSTER_STATES}. */
export type ClusterState = (typeof CLUSTER_STATES)[number];

/**
 * What a node turned out to be: `unknown` when it could not be reached.
 * @example report.components.database.filter((n) => n.role === 'replica')
 */
export const NODE_ROLES = ['primary', 'replica', 'unknown'] as const;
/** One of {@link NODE_ROLES}. */
export type NodeRole = (typeof NODE_ROLES)[number];

/**
 * Where `components.performance` got its figures from.
 * @example if (report.components.performance.source !== 'window') console.warn('no traffic in the window')
 */
export const PERFORMANCE_SOURCES = ['window', 'since_reset', 'pg_stat_database', 'none'] as const;
/** One of {@link PERFORMANCE_SOURCES}. */
export type PerformanceSource = (typeof PERFORMANCE_SOURCES)[number];

/**
 * Defaults of {@link ClusterStatusInput}, shared by the library function and the skill.
 *
 * @example
 * ```ts
 * CLUSTER_STATUS_DEFAULTS.lagBytesThreshold // 67108864 (64 MiB)
 * ```
 */
export const CLUSTER_STATUS_DEFAULTS = {
  sampleMs: 100,
  connectTimeoutMs: 2_000,
  lagBytesThreshold: 67_108_864,
  lagSecondsThreshold: 30,
  slowQueryMs: 100,
  poolUtilizationPct: 80,
} as const;

/**
 * Input of `cluster-status` (and the options of `checkClusterStatus`). Every field is optional.
 *
 * @example
 * ```ts
 * ClusterStatusInput.parse({ sampleMs: 500 }) // defaults filled in for the rest
 * ```
 */
export const ClusterStatusInput = z.object({
  sampleMs: z
    .number()
    .int()
    .min(0)
    .max(10_000)
    .default(CLUSTER_STATUS_DEFAULTS.sampleMs)
    .describe('How long to sample pg_stat_statements / pg_stat_database on the primary for qps and avg_query_ms, in ms (0–10000; the window overlaps the other checks, so the default adds little to a run). Raise it for steadier figures on a quiet server. 0 uses the averages since the last statistics reset.'),
  connectTimeoutMs: z
    .number()
    .int()
    .min(100)
    .max(60_000)
    .default(CLUSTER_STATUS_DEFAULTS.connectTimeoutMs)
    .describe('Give up on a node that has not accepted a connection after this many ms (100–60000); it is then reported as down.'),
  lagBytesThreshold: z
    .number()
    .int()
    .min(0)
    .default(CLUSTER_STATUS_DEFAULTS.lagBytesThreshold)
    .describe('A replica more than this many bytes of WAL behind the primary makes the cluster degraded (default 64 MiB).'),
  lagSecondsThreshold: z
    .number()
    .min(0)
    .default(CLUSTER_STATUS_DEFAULTS.lagSecondsThreshold)
    .describe('A replica replaying more than this many seconds behind the primary makes the cluster degraded.'),
  slowQueryMs: z
    .number()
    .min(0)
    .default(CLUSTER_STATUS_DEFAULTS.slowQueryMs)
    .describe('An average statement time above this many ms (from pg_stat_statements) counts as slow and recommends maintenance-optimize.'),
  poolUtilizationPct: z
    .number()
    .min(1)
    .max(100)
    .default(CLUSTER_STATUS_DEFAULTS.poolUtilizationPct)
    .describe('Server connections above this share of max_connections (percent, 1–100) on any node make the cluster degraded and recommend cluster-scale.'),
  database: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/, 'must be a database name of at most 63 letters, digits, _, $ or -')
    .optional()
    .describe('Database to inspect for pgvector / HNSW indexes and to connect to; default: the configured "project" database, else the node URL\'s database.'),
});

/** Parsed input of `cluster-status`, defaults applied. */
export type ClusterStatusInput = z.infer<typeof ClusterStatusInput>;
/** Input of `cluster-status` as a caller writes it (every field optional). */
export type ClusterStatusInputArgs = z.input<typeof ClusterStatusInput>;

/**
 * Replication detail of one replica.
 * @example report.components.database[1].replication?.state // 'streaming'
 */
export const ReplicationStatus = z.object({
  source: z
    .enum(['primary', 'replica'])
    .describe("Where lag_bytes came from: the primary's pg_stat_replication (preferred) or the replica's own receive/replay positions."),
  state: z.string().nullable().describe("pg_stat_replication.state on the primary (e.g. streaming), or null when the primary has no matching sender."),
  sync_state: z.string().nullable().describe('async | sync | quorum | potential, or null.'),
  streaming: z.boolean().describe("The replica's WAL receiver is streaming from an upstream."),
  receive_lsn: z.string().nullable().describe('pg_last_wal_receive_lsn() on the replica.'),
  replay_lsn: z.string().nullable().describe('pg_last_wal_replay_lsn() on the replica.'),
  write_lag_s: z.number().nullable().describe("pg_stat_replication.write_lag in seconds (null when idle or unmatched)."),
  flush_lag_s: z.number().nullable().describe("pg_stat_replication.flush_lag in seconds."),
  replay_lag_s: z.number().nullable().describe("pg_stat_replication.replay_lag in seconds."),
});
/** Replication detail of one replica. */
export type ReplicationStatus = z.infer<typeof ReplicationStatus>;

/**
 * One node's state: `components.database[i]`.
 * @example report.components.database.filter((n) => n.status === 'down').map((n) => n.name)
 */
export const NodeStatus = z.object({
  name: z.string().describe('The node name from the configuration.'),
  address: z.string().describe('host:port/database, never with credentials.'),
  status: z.enum(['up', 'down']).describe('up: it answered a query; down: unreachable or failing.'),
  role: z.enum(NODE_ROLES).describe('primary (not in recovery), replica (in recovery), unknown (down).'),
  latency_ms: z.number().nullable().describe('Round trip of a trivial query, in ms.'),
  connect_ms: z.number().nullable().describe('Time to open the connection, in ms.'),
  version: z.string().nullable().describe('server_version, e.g. "15.14 (Debian 15.14-0+deb12u1)".'),
  version_num: z.number().nullable().describe('server_version_num, e.g. 150014.'),
  lag_bytes: z.number().nullable().describe('Replicas: WAL bytes not yet replayed; null on the primary and on down nodes.'),
  lag_seconds: z.number().nullable().describe('Replicas: seconds the replay is behind; 0 when caught up; null on the primary and on down nodes.'),
  replication: ReplicationStatus.nullable().describe('Replicas only: where the lag figures came from, and the sender state.'),
  error: z.string().nullable().describe('Why the node is down (no secrets), else null.'),
});
/** One node's state. */
export type NodeStatus = z.infer<typeof NodeStatus>;

/**
 * Server connections on one node.
 * @example report.components.pools.nodes.find((p) => p.utilization > 80)?.node
 */
export const NodePoolStatus = z.object({
  node: z.string().describe('The node name.'),
  active: z.number().describe('Client connections open on the server (pg_stat_activity client backends, this check excluded).'),
  max: z.number().describe('max_connections.'),
  utilization: z.number().describe('active / max, in percent (0–100, one decimal).'),
  executing: z.number().describe('Of active: those running a statement right now.'),
  idle_in_transaction: z.number().describe('Of active: those idle inside an open transaction.'),
});
/** Server connections on one node. */
export type NodePoolStatus = z.infer<typeof NodePoolStatus>;

/**
 * `components.pools`: the primary's server connections, and every node's.
 * @example const { active, max, utilization } = report.components.pools // 15, 100, 15
 */
export const PoolsStatus = z.object({
  node: z.string().nullable().describe("The node the top-level figures describe: the primary, else the busiest node up."),
  active: z.number().nullable().describe('Client connections open on that node.'),
  max: z.number().nullable().describe('Its max_connections.'),
  utilization: z.number().nullable().describe('active / max, percent.'),
  nodes: z.array(NodePoolStatus).describe('Every node that is up.'),
});
/** `components.pools`. */
export type PoolsStatus = z.infer<typeof PoolsStatus>;

/**
 * An HNSW index.
 * @example report.components.hnsw.invalid_indexes.map((ix) => `${ix.schema}.${ix.name}`)
 */
export const HnswIndex = z.object({
  schema: z.string(),
  name: z.string().describe('The index name.'),
  table: z.string().describe('The table it indexes.'),
  valid: z.boolean().describe('pg_index.indisvalid.'),
  building: z.boolean().describe('A CREATE INDEX (CONCURRENTLY) is building it right now; an index being built is not reported as invalid.'),
});
/** An HNSW index. */
export type HnswIndex = z.infer<typeof HnswIndex>;

/**
 * `components.hnsw`: pgvector and HNSW indexes in the inspected database.
 * @example report.components.hnsw.loaded && report.components.hnsw.index_count // 11
 */
export const HnswStatus = z.object({
  database: z.string().nullable().describe('The database inspected.'),
  node: z.string().nullable().describe('The node it was read on (the primary when up, else a replica), null when none was up.'),
  loaded: z.boolean().describe('The vector extension is installed in that database.'),
  extension_version: z.string().nullable().describe('pg_extension.extversion of vector.'),
  index_count: z.number().describe('HNSW indexes (pg_am.amname = hnsw).'),
  invalid_indexes: z.array(HnswIndex).describe('HNSW indexes with indisvalid = false: unusable until rebuilt.'),
  unindexed_vector_columns: z
    .array(z.string())
    .describe('schema.table.column of vector columns that no HNSW or IVFFlat index covers.'),
});
/** `components.hnsw`. */
export type HnswStatus = z.infer<typeof HnswStatus>;

/**
 * `components.performance`: statement rate and time on the primary.
 * @example const { avg_query_ms, qps } = report.components.performance // 5.3, 1200
 */
export const PerformanceStatus = z.object({
  node: z.string().nullable().describe('The node sampled (the primary), null when there was none.'),
  avg_query_ms: z.number().nullable().describe('Mean statement execution time in ms; null without pg_stat_statements.'),
  qps: z.number().nullable().describe('Statements per second over the window (pg_stat_statements), else transactions per second.'),
  tps: z.number().nullable().describe('Transactions (commits + rollbacks) per second over the window, from pg_stat_database.'),
  sample_ms: z.number().describe('Length of the sampling window actually measured, in ms.'),
  source: z
    .enum(PERFORMANCE_SOURCES)
    .describe('window: both figures measured over the window; since_reset: no statement ran in the window, avg_query_ms is the mean since the last pg_stat_statements reset; pg_stat_database: pg_stat_statements is not available; none: nothing measured.'),
  pg_stat_statements: z.boolean().describe('pg_stat_statements is installed and loaded.'),
  statements: z.number().nullable().describe('Statements that finished in the window (this check excluded).'),
});
/** `components.performance`. */
export type PerformanceStatus = z.infer<typeof PerformanceStatus>;

/**
 * A next step; mirrors skill-kit's Recommendation.
 * @example report.recommendations.filter((r) => r.skill === 'cluster-scale')
 */
export const StatusRecommendation = z.object({
  why: z.string().describe('What to do and why; without a skill, the whole step for a person.'),
  skill: z.string().optional().describe('The skill that does it.'),
  input: z.record(z.string(), z.unknown()).optional().describe("That skill's input (valid against its input schema): run `pgcluster <skill>` with it as --input or as flags."),
  planned: z.boolean().optional().describe('The skill is not available in this version yet.'),
});
/** A next step. */
export type StatusRecommendation = z.infer<typeof StatusRecommendation>;

/** One PgBouncer pool (a database/user pair) from `SHOW POOLS`. */
export const PgbouncerPoolStatus = z.object({
  database: z.string(),
  user: z.string(),
  cl_active: z.number().describe('Clients linked to a server connection.'),
  cl_waiting: z.number().describe('Clients waiting for a server connection: above 0 means the pool is too small.'),
  sv_active: z.number().describe('Server connections in use.'),
  sv_idle: z.number().describe('Server connections idle and ready.'),
  sv_used: z.number().describe('Server connections idle longer than server_check_delay.'),
  maxwait_s: z.number().describe('How long the oldest waiting client has waited, seconds.'),
  pool_mode: z.string().describe('session | transaction | statement.'),
});

/** PgBouncer, when `pgbouncer.adminUrl` is configured. */
export const PgbouncerStatus = z.object({
  reachable: z.boolean().describe('The admin console answered.'),
  error: z.string().nullable().describe('Why not (no secrets), else null.'),
  default_pool_size: z.number().nullable(),
  reserve_pool_size: z.number().nullable(),
  max_db_connections: z.number().nullable().describe('0 = no limit.'),
  max_client_conn: z.number().nullable(),
  clients_waiting: z.number().describe('cl_waiting summed over the pools.'),
  pools: z.array(PgbouncerPoolStatus).describe('SHOW POOLS, the admin database left out.'),
});
/** PgBouncer's part of the report. */
export type PgbouncerStatus = z.infer<typeof PgbouncerStatus>;

/** One Patroni member from `GET /cluster`. */
export const PatroniMemberStatus = z.object({
  name: z.string(),
  role: z.string().describe('leader, sync_standby, replica, standby_leader, …'),
  state: z.string().describe('running, streaming, starting, stopped, crashed, …'),
  timeline: z.number().nullable(),
  lag_bytes: z.number().nullable().describe('Bytes behind the leader (null for the leader or when Patroni says unknown).'),
});

/** Patroni, when `patroni.url` is configured. */
export const PatroniStatus = z.object({
  reachable: z.boolean().describe("Patroni's REST API answered."),
  error: z.string().nullable(),
  leader: z.string().nullable().describe('The running leader, null when there is none (a failover is under way, or Patroni lost its DCS).'),
  timeline: z.number().nullable().describe("The leader's timeline."),
  paused: z.boolean().describe('Maintenance mode: Patroni will not fail over by itself.'),
  members: z.array(PatroniMemberStatus),
});
/** Patroni's part of the report. */
export type PatroniStatus = z.infer<typeof PatroniStatus>;

/**
 * The report of `cluster-status` (`data` in its envelope), shaped after the seed ADR's
 * output: `status`, `timestamp`, `components.{database,pools,hnsw,performance}`,
 * `alerts`, `recommendations`.
 *
 * @example
 * ```ts
 * const report = ClusterStatusReport.parse(JSON.parse(stdout).data)
 * if (report.status === 'critical') page()
 * ```
 */
export const ClusterStatusReport = z.object({
  status: z
    .enum(CLUSTER_STATES)
    .describe('healthy: all good; degraded: needs attention (a replica down or lagging, connections near max_connections, an invalid HNSW index, slow statements); critical: no usable primary, or more than one (split brain).'),
  timestamp: z.string().describe('When the check finished, ISO-8601.'),
  cluster: z
    .object({
      name: z.string().describe('The configured cluster name.'),
      nodes: z.number().describe('Configured nodes.'),
      up: z.number().describe('Nodes that answered.'),
      primary: z.string().nullable().describe('The primary node name; null when none was found (the first one when several claim it).'),
      replicas: z.array(z.string()).describe('Nodes up and in recovery.'),
    })
    .describe('Topology as discovered.'),
  components: z.object({
    database: z.array(NodeStatus).describe('One entry per configured node, in configuration order.'),
    pools: PoolsStatus,
    hnsw: HnswStatus,
    performance: PerformanceStatus,
    pgbouncer: PgbouncerStatus.optional().describe('PgBouncer pools and settings (SHOW POOLS / SHOW CONFIG), when pgbouncer.adminUrl is configured.'),
    patroni: PatroniStatus.optional().describe('Patroni members, leader and timeline (GET /cluster), when patroni.url is configured.'),
  }),
  alerts: z.array(z.string()).describe('Problems found, each naming the node or index concerned.'),
  recommendations: z.array(StatusRecommendation).describe('Next steps following the decision tree, with skill names.'),
});
/** The report of `cluster-status`. */
export type ClusterStatusReport = z.infer<typeof ClusterStatusReport>;
