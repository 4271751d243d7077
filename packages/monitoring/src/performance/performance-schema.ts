import { SkillReferenceSchema } from '@pgcluster/skill-kit';
import { z } from 'zod';

/** Orderings of the top statements; one tuple yields the type, the validator and the CLI choices. */
export const STATEMENT_ORDERS = ['totalTime', 'meanTime', 'calls', 'rows', 'blocksRead', 'tempBlocks'] as const;
/** One of {@link STATEMENT_ORDERS}. */
export type StatementOrder = (typeof STATEMENT_ORDERS)[number];

/** Snapshot names: the UTC time they were taken, e.g. 2026-11-30T08-50-00-123Z. */
export const SNAPSHOT_NAME = /^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$/;

/**
 * Input of `monitoring-performance`.
 * @example PerformanceInput.parse({ top: 5, sampleMs: 2000, compare: '2026-11-30T08-50-00-123Z' })
 */
export const PerformanceInput = z.object({
  top: z.number().int().min(1).max(100).default(10).describe('How many statements per ordering (1–100).'),
  sampleMs: z.number().int().min(0).max(10_000).default(1_000).describe('How long to sample active sessions, wait events and WAL/transaction rates on each node, ms (0: one sample, no window rates).'),
  slowMs: z.number().min(0).default(100).describe('A statement whose mean time is at least this (ms) is a candidate for maintenance-optimize.'),
  compare: z.string().regex(SNAPSHOT_NAME, 'must be a snapshot name from an earlier run (data.snapshot), e.g. 2026-11-30T08-50-00-123Z').optional().describe('Compare with this earlier snapshot: what changed since then.'),
  snapshot: z.boolean().default(true).describe('Keep this run\'s counters as a snapshot in the state dir (monitoring/performance/) for a later --compare.'),
  database: z.string().regex(/^[a-z_][a-z0-9_$]{0,62}$/, 'must be a database name or a name from the config\'s databases').optional().describe('The database to connect to (pg_stat_statements covers all of them); default databases.project, else the node URL\'s.'),
  connectTimeoutMs: z.number().int().min(100).max(60_000).default(2_000).describe('Give up connecting to a node after this long, ms.'),
});
/** Input of `monitoring-performance` (after defaults). */
export type PerformanceInput = z.output<typeof PerformanceInput>;

/** One normalised statement from pg_stat_statements on one node, since its last reset. */
export const StatementStats = z.object({
  key: z.string().describe('node:queryid, unique in the run.'),
  node: z.string().describe('The node whose pg_stat_statements reported it.'),
  queryId: z.string().describe('pg_stat_statements queryid.'),
  database: z.string().describe('Database it ran in.'),
  calls: z.number().describe('Executions.'),
  totalSeconds: z.number().describe('Total execution time, s.'),
  meanSeconds: z.number().describe('Mean execution time, s.'),
  rows: z.number().describe('Rows returned or affected.'),
  sharedBlocksRead: z.number().describe('Shared blocks read from outside shared buffers.'),
  sharedBlocksHit: z.number().describe('Shared blocks found in shared buffers.'),
  tempBlocksWritten: z.number().describe('Temporary blocks written (sorts/hashes spilling past work_mem).'),
  timeShare: z.number().describe('Share of the node\'s total statement time, percent.'),
  query: z.string().describe('Normalised text: every literal is ?, or $n; never a value.'),
});
/** One statement's statistics. */
export type StatementStats = z.infer<typeof StatementStats>;

const WaitEvent = z.object({ type: z.string(), event: z.string(), share: z.number().describe('Share of sampled active sessions in this wait, percent.') });

/** What the run measured on one node. */
export const NodePerformance = z.object({
  name: z.string().describe('Node name.'),
  up: z.boolean().describe('Whether it answered.'),
  role: z.enum(['primary', 'replica', 'unknown']).describe('Its role.'),
  error: z.string().optional().describe('Why it did not answer.'),
  statementsAvailable: z.boolean().describe('Whether pg_stat_statements could be read.'),
  statementsProblem: z.string().optional().describe('Why not.'),
  activity: z
    .object({
      samples: z.number().int().describe('Samples of pg_stat_activity taken over the window.'),
      activeAvg: z.number().describe('Active client sessions, on average.'),
      activeMax: z.number().describe('Active client sessions, at most.'),
      waits: z.array(WaitEvent).describe('Wait events of the active sessions, most frequent first.'),
    })
    .describe('Sampled sessions.'),
  cache: z
    .object({
      hitRatio: z.number().nullable().describe('Share of block reads from shared buffers in this database since the reset, percent.'),
      indexHitRatio: z.number().nullable().describe('Same for index blocks of user tables, percent.'),
    })
    .describe('Buffer cache.'),
  rates: z
    .object({
      windowSeconds: z.number().describe('The sampling window, s (0: no window).'),
      transactionsPerSecond: z.number().nullable().describe('Commits and rollbacks per second over the window (every database).'),
      walBytesPerSecond: z.number().nullable().describe('WAL written per second over the window (primary).'),
    })
    .describe('Rates over the window.'),
  checkpoints: z
    .object({
      timed: z.number().describe('Timed checkpoints since the reset.'),
      requested: z.number().describe('Requested (WAL-triggered or manual) checkpoints since the reset.'),
      requestedShare: z.number().nullable().describe('requested / (timed + requested), percent.'),
      buffersCheckpoint: z.number().describe('Buffers written by checkpoints.'),
      buffersBackend: z.number().describe('Buffers written by backends themselves (high: shared_buffers or bgwriter too small).'),
      walBytes: z.number().nullable().describe('WAL bytes since pg_stat_wal was reset.'),
      walBytesPerSecondSinceReset: z.number().nullable().describe('WAL bytes per second, averaged since that reset.'),
    })
    .nullable()
    .describe('Checkpoints and WAL since the statistics reset (primary only; a replica reports restartpoints elsewhere).'),
});

/** A statement worth optimising, with the reference to the skill that does it. */
export const OptimizeCandidate = z.object({
  key: z.string().describe('The statement (node:queryid).'),
  why: z.string().describe('What makes it worth optimising.'),
  recommendation: SkillReferenceSchema,
});

/** What changed since an earlier snapshot, per node. */
export const PerformanceComparison = z.object({
  snapshot: z.string().describe('The snapshot compared with.'),
  seconds: z.number().describe('Time between the two.'),
  nodes: z.array(
    z.object({
      name: z.string(),
      reset: z.boolean().describe('Statistics were reset in between: deltas start from the reset.'),
      transactions: z.number().nullable(),
      walBytes: z.number().nullable(),
      checkpointsRequested: z.number().nullable(),
      checkpointsTimed: z.number().nullable(),
      newStatements: z.number().int().describe('Statements not in the snapshot.'),
      statements: z
        .array(z.object({ key: z.string(), queryId: z.string(), calls: z.number(), totalSeconds: z.number(), meanSeconds: z.number().nullable(), query: z.string() }))
        .describe('Statements that took the most time since the snapshot.'),
    }),
  ),
});

/**
 * `data` of `monitoring-performance`.
 * @example report.rankings.meanTime.map((key) => report.statements.find((s) => s.key === key))
 */
export const PerformanceReport = z.object({
  cluster: z.string(),
  nodes: z.array(NodePerformance).describe('Every configured node.'),
  statements: z.array(StatementStats).describe('The union of the top statements of every ordering, by total time.'),
  rankings: z.record(z.enum(STATEMENT_ORDERS), z.array(z.string())).describe('For each ordering, the keys of its top statements, best first.'),
  optimize: z.array(OptimizeCandidate).describe('Statements worth an index or a rewrite: maintenance-optimize.'),
  snapshot: z.string().nullable().describe('The name of the snapshot this run kept (for --compare), or null.'),
  comparison: PerformanceComparison.optional().describe('With --compare: what changed since that snapshot.'),
});
/** `data` of `monitoring-performance`. */
export type PerformanceReport = z.infer<typeof PerformanceReport>;
/** One node's measurements. */
export type NodePerformance = z.infer<typeof NodePerformance>;
/** With --compare: what changed. */
export type PerformanceComparison = z.infer<typeof PerformanceComparison>;
