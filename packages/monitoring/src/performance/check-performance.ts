import { PgClusterError, type ClusterConfig } from '@pgcluster/core';
import { ref } from '../health/node-check';
import { collectNodePerformance } from './collect-node-performance';
import { compareSnapshots, loadSnapshot, saveSnapshot, type PerformanceSnapshot } from './performance-snapshot';
import { STATEMENT_ORDERS, type PerformanceReport, type StatementOrder, type StatementStats } from './performance-schema';

/**
 * Options of {@link checkPerformance}.
 * @example const options: CheckPerformanceOptions = { top: 5, sampleMs: 2000, stateDir: '.pgcluster' }
 */
export interface CheckPerformanceOptions {
  top?: number;
  sampleMs?: number;
  slowMs?: number;
  /** Name of an earlier snapshot to compare with (needs `stateDir`). */
  compare?: string;
  /** Where snapshots are kept; without it no snapshot is written or read. */
  stateDir?: string;
  database?: string;
  connectTimeoutMs?: number;
  signal?: AbortSignal;
}

const ORDER_VALUE: Record<StatementOrder, (s: StatementStats) => number> = {
  totalTime: (s) => s.totalSeconds,
  meanTime: (s) => s.meanSeconds,
  calls: (s) => s.calls,
  rows: (s) => s.rows,
  blocksRead: (s) => s.sharedBlocksRead,
  tempBlocks: (s) => s.tempBlocksWritten,
};

/**
 * Measures every node at once (one connection each): top statements from pg_stat_statements by
 * total time, mean time, calls, rows, blocks read and temp blocks (normalised text only),
 * sampled active sessions and wait events, cache hit ratios, transaction/WAL rates and
 * checkpoints; keeps a snapshot of the counters in the state dir and, with `compare`, reports
 * what changed since an earlier one. Statements worth an index go to maintenance-optimize.
 *
 * @throws PgClusterError `UNREACHABLE` when no node answers; InputError `compare` for an unknown snapshot.
 * @example
 * ```ts
 * const report = await checkPerformance(loadConfig().config, { top: 5, stateDir: loaded.stateDir })
 * report.rankings.meanTime[0] // 'node1:-4412…'
 * ```
 */
export async function checkPerformance(config: ClusterConfig, options: CheckPerformanceOptions = {}): Promise<PerformanceReport> {
  const nodes = config.nodes;
  if (!nodes?.length) throw new PgClusterError('NOT_SUPPORTED', `cluster ${config.name} has no static "nodes" list: monitoring-performance needs one`);
  const earlier = options.compare !== undefined && options.stateDir ? loadSnapshot(options.stateDir, options.compare) : undefined;
  const top = options.top ?? 10;
  const database = options.database ? (config.databases[options.database] ?? options.database) : config.databases['project'];
  const results = await Promise.all(
    nodes.map((node) => collectNodePerformance(node, { database, connectTimeoutMs: options.connectTimeoutMs ?? 2_000, sampleMs: options.sampleMs ?? 1_000, signal: options.signal })),
  );
  if (options.signal?.aborted) throw new PgClusterError('ABORTED', 'performance run was cancelled');
  if (results.every((r) => !r.performance.up)) {
    throw new PgClusterError('UNREACHABLE', `no node of cluster ${config.name} answered: ${results.map((r) => `${r.performance.name}: ${r.performance.error}`).join('; ')}`);
  }

  const all = results.flatMap((r) => r.statements);
  const rankings = Object.fromEntries(
    STATEMENT_ORDERS.map((order) => [
      order,
      all
        .filter((s) => ORDER_VALUE[order](s) > 0)
        .sort((a, b) => ORDER_VALUE[order](b) - ORDER_VALUE[order](a))
        .slice(0, top)
        .map((s) => s.key),
    ]),
  ) as Record<StatementOrder, string[]>;
  const keys = new Set(Object.values(rankings).flat());
  const statements = all.filter((s) => keys.has(s.key)).sort((a, b) => b.totalSeconds - a.totalSeconds);

  const now: PerformanceSnapshot = {
    takenAt: new Date().toISOString(),
    cluster: config.name,
    nodes: Object.fromEntries(results.filter((r) => r.counters).map((r) => [r.performance.name, r.counters!])),
  };
  const snapshot = options.stateDir ? saveSnapshot(options.stateDir, now) : null;
  return {
    cluster: config.name,
    nodes: results.map((r) => r.performance),
    statements,
    rankings,
    optimize: optimizeCandidates(statements, options.slowMs ?? 100),
    snapshot,
    ...(earlier && options.compare ? { comparison: compareSnapshots(options.compare, earlier, now, top) } : {}),
  };
}

/**
 * Statements worth maintenance-optimize: slow on average, spilling to temp files, or reading
 * many blocks from outside the cache per call (a missing index).
 * @example optimizeCandidates(report.statements, 100)
 */
export function optimizeCandidates(statements: readonly StatementStats[], slowMs: number): PerformanceReport['optimize'] {
  return statements.flatMap((s) => {
    const reasons = [
      s.meanSeconds * 1000 >= slowMs ? `mean ${Math.round(s.meanSeconds * 1000)} ms ≥ ${slowMs} ms` : '',
      s.tempBlocksWritten > 0 ? `${s.tempBlocksWritten} temp blocks written (sorts/hashes spill)` : '',
      s.calls > 0 && s.sharedBlocksRead / s.calls >= 1000 ? `${Math.round(s.sharedBlocksRead / s.calls)} blocks read from disk per call` : '',
    ].filter(Boolean);
    if (reasons.length === 0) return [];
    const recommendation = ref('maintenance-optimize', { queryId: s.queryId, database: s.database }, 'find a missing index or a better plan for this statement');
    return [{ key: s.key, why: reasons.join('; '), recommendation }];
  });
}
