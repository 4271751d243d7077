import { withClient, type NodeConfig } from '@pgcluster/core';
import type pg from 'pg';
import { READ_ONLY_SESSION_SQL, serverReason } from '../connection/read-only-session';
import { round } from '../health/node-check';
import { normaliseStatement } from '../statements/normalise-statement';
import type { NodePerformance, StatementStats } from './performance-schema';

/**
 * `application_name` of the performance run's connections.
 * @example `select * from pg_stat_activity where application_name = '${PERFORMANCE_APPLICATION_NAME}'`
 */
export const PERFORMANCE_APPLICATION_NAME = 'pgcluster-performance';

/** At most this many statements are read from pg_stat_statements per node (by total time). */
export const MAX_STATEMENTS = 1000;

/** Statements of a performance run, in the order they run (the plan shows them). */
export const PERFORMANCE_SQL = {
  facts: `select pg_is_in_recovery() as in_recovery,
       (select n.nspname from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'pg_stat_statements') as pgss_schema`,
  counters: `select (select sum(xact_commit + xact_rollback) from pg_stat_database)::float8 as xacts,
       case when pg_is_in_recovery() then null else pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::float8 end as wal_lsn`,
  activity: `select coalesce(wait_event_type, 'CPU') as type, coalesce(wait_event, 'running') as event, count(*)::int as n
  from pg_stat_activity where backend_type = 'client backend' and state = 'active' and pid <> pg_backend_pid() group by 1, 2`,
  cache: `select (select 100 * blks_hit::float8 / nullif(blks_hit + blks_read, 0) from pg_stat_database where datname = current_database()) as hit_ratio,
       (select 100 * sum(idx_blks_hit)::float8 / nullif(sum(idx_blks_hit + idx_blks_read), 0) from pg_statio_user_indexes) as index_hit_ratio`,
  checkpoints: `select checkpoints_timed::float8 as timed, checkpoints_req::float8 as requested, buffers_checkpoint::float8 as buffers_checkpoint,
       buffers_backend::float8 as buffers_backend, w.wal_bytes::float8 as wal_bytes, extract(epoch from now() - w.stats_reset)::float8 as wal_seconds
  from pg_stat_bgwriter cross join pg_stat_wal w`,
  statements: (schema: string) => `select s.queryid::text as query_id, d.datname as database, s.calls::float8 as calls, s.total_exec_time as total_ms, s.rows::float8 as rows,
       s.shared_blks_read::float8 as blocks_read, s.shared_blks_hit::float8 as blocks_hit, s.temp_blks_written::float8 as temp_blocks, s.query
  from ${schema}.pg_stat_statements s join pg_database d on d.oid = s.dbid
 where s.queryid is not null order by s.total_exec_time desc limit ${MAX_STATEMENTS}`,
} as const;

/** The cumulative counters of one node a snapshot keeps. */
export interface NodeCounters {
  xacts: number | null;
  walLsn: number | null;
  checkpointsTimed: number | null;
  checkpointsRequested: number | null;
  statements: Record<string, { calls: number; totalMs: number; query: string }>;
}

/** What one node reported: its measurements, its statements and its counters. */
export interface NodePerformanceResult {
  performance: NodePerformance;
  statements: StatementStats[];
  counters: NodeCounters | null;
}

/** Options of {@link collectNodePerformance}. */
export interface CollectNodePerformanceOptions {
  database?: string;
  connectTimeoutMs: number;
  sampleMs: number;
  signal?: AbortSignal;
}

/**
 * Measures one node over ONE read-only connection: pg_stat_activity sampled over `sampleMs`
 * (active sessions, wait events), transactions and WAL per second over that window, the buffer
 * cache hit ratios, checkpoints and WAL since the reset, and its pg_stat_statements (normalised
 * text only). A node that does not answer comes back `up: false`.
 *
 * @example
 * ```ts
 * const { performance, statements } = await collectNodePerformance(config.nodes[0], { connectTimeoutMs: 2000, sampleMs: 1000 })
 * ```
 */
export async function collectNodePerformance(node: NodeConfig, options: CollectNodePerformanceOptions): Promise<NodePerformanceResult> {
  const down = (error: string): NodePerformanceResult => ({
    performance: {
      name: node.name,
      up: false,
      role: 'unknown',
      error,
      statementsAvailable: false,
      activity: { samples: 0, activeAvg: 0, activeMax: 0, waits: [] },
      cache: { hitRatio: null, indexHitRatio: null },
      rates: { windowSeconds: 0, transactionsPerSecond: null, walBytesPerSecond: null },
      checkpoints: null,
    },
    statements: [],
    counters: null,
  });
  try {
    return await withClient(
      { url: node.url, database: options.database, connectTimeoutMs: options.connectTimeoutMs, applicationName: PERFORMANCE_APPLICATION_NAME },
      node.name,
      (client) => measure(client, node.name, options),
    );
  } catch (error) {
    return down(serverReason(error, node.name));
  }
}

async function measure(client: pg.Client, name: string, options: CollectNodePerformanceOptions): Promise<NodePerformanceResult> {
  const rows = async <R>(text: string): Promise<R[]> => (await client.query(text)).rows as R[];
  await client.query(READ_ONLY_SESSION_SQL);
  const [facts] = await rows<{ in_recovery: boolean; pgss_schema: string | null }>(PERFORMANCE_SQL.facts);
  const role = facts!.in_recovery ? 'replica' : 'primary';

  const before = (await rows<{ xacts: number; wal_lsn: number | null }>(PERFORMANCE_SQL.counters))[0]!;
  const started = Date.now();
  const samples = Math.max(1, Math.min(10, Math.floor(options.sampleMs / 100)));
  const waits = new Map<string, { type: string; event: string; n: number }>();
  const active: number[] = [];
  for (let i = 0; i < samples; i += 1) {
    if (i > 0) await sleep(options.sampleMs / samples, options.signal);
    const sample = await rows<{ type: string; event: string; n: number }>(PERFORMANCE_SQL.activity);
    active.push(sample.reduce((sum, s) => sum + s.n, 0));
    for (const s of sample) {
      const key = `${s.type}/${s.event}`;
      waits.set(key, { ...s, n: (waits.get(key)?.n ?? 0) + s.n });
    }
  }
  if (options.sampleMs > 0) await sleep(options.sampleMs - (Date.now() - started), options.signal);
  const after = (await rows<{ xacts: number; wal_lsn: number | null }>(PERFORMANCE_SQL.counters))[0]!;
  const windowSeconds = options.sampleMs > 0 ? (Date.now() - started) / 1000 : 0;
  const totalActive = active.reduce((a, b) => a + b, 0);

  const [cache] = await rows<{ hit_ratio: number | null; index_hit_ratio: number | null }>(PERFORMANCE_SQL.cache);
  const cp = role === 'primary' ? (await rows<Record<string, number | null>>(PERFORMANCE_SQL.checkpoints))[0]! : null;

  let statements: StatementStats[] = [];
  let statementsProblem: string | undefined = facts!.pgss_schema ? undefined : 'pg_stat_statements is not installed in this database';
  if (facts!.pgss_schema) {
    try {
      statements = toStatements(name, await rows(PERFORMANCE_SQL.statements(client.escapeIdentifier(facts!.pgss_schema))));
    } catch (error) {
      statementsProblem = serverReason(error, name);
    }
  }
  const rate = (a: number | null, b: number | null) => (windowSeconds > 0 && a !== null && b !== null ? round((b - a) / windowSeconds) : null);
  const requested = cp ? cp['requested']! : null;
  const timed = cp ? cp['timed']! : null;
  return {
    performance: {
      name,
      up: true,
      role,
      statementsAvailable: statementsProblem === undefined,
      ...(statementsProblem ? { statementsProblem } : {}),
      activity: {
        samples,
        activeAvg: round(totalActive / samples),
        activeMax: Math.max(...active),
        waits: [...waits.values()].sort((a, b) => b.n - a.n).map((w) => ({ type: w.type, event: w.event, share: totalActive > 0 ? round((w.n * 100) / totalActive) : 0 })),
      },
      cache: { hitRatio: nullableRound(cache?.hit_ratio ?? null), indexHitRatio: nullableRound(cache?.index_hit_ratio ?? null) },
      rates: { windowSeconds: round(windowSeconds), transactionsPerSecond: rate(before.xacts, after.xacts), walBytesPerSecond: rate(before.wal_lsn, after.wal_lsn) },
      checkpoints: cp
        ? {
            timed: timed!,
            requested: requested!,
            requestedShare: timed! + requested! > 0 ? round((requested! * 100) / (timed! + requested!)) : null,
            buffersCheckpoint: cp['buffers_checkpoint']!,
            buffersBackend: cp['buffers_backend']!,
            walBytes: cp['wal_bytes'] ?? null,
            walBytesPerSecondSinceReset: cp['wal_bytes'] !== null && cp['wal_seconds'] ? round(cp['wal_bytes']! / Math.max(cp['wal_seconds']!, 1)) : null,
          }
        : null,
    },
    statements,
    counters: {
      xacts: after.xacts,
      walLsn: after.wal_lsn,
      checkpointsTimed: timed,
      checkpointsRequested: requested,
      statements: Object.fromEntries(statements.map((s) => [s.queryId, { calls: s.calls, totalMs: s.totalSeconds * 1000, query: s.query }])),
    },
  };
}

interface StatementRow {
  query_id: string;
  database: string;
  calls: number;
  total_ms: number;
  rows: number;
  blocks_read: number;
  blocks_hit: number;
  temp_blocks: number;
  query: string;
}

function toStatements(node: string, rows: StatementRow[]): StatementStats[] {
  const total = rows.reduce((sum, r) => sum + r.total_ms, 0);
  return rows.map((r) => ({
    key: `${node}:${r.query_id}`,
    node,
    queryId: r.query_id,
    database: r.database,
    calls: r.calls,
    totalSeconds: round(r.total_ms / 1000, 6),
    meanSeconds: round(r.calls > 0 ? r.total_ms / r.calls / 1000 : 0, 6),
    rows: r.rows,
    sharedBlocksRead: r.blocks_read,
    sharedBlocksHit: r.blocks_hit,
    tempBlocksWritten: r.temp_blocks,
    timeShare: total > 0 ? round((r.total_ms * 100) / total) : 0,
    query: normaliseStatement(r.query ?? ''),
  }));
}

function nullableRound(n: number | null): number | null {
  return n === null ? null : round(n);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}
