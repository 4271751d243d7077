import { z } from 'zod';
import { DatabaseName } from '../connection/maintenance-target';

/**
 * Input of maintenance-optimize (the read-only index advisor): the top statements of
 * pg_stat_statements, one by `queryId`, or given `query` texts.
 * @example
 * ```ts
 * OptimizeInput.parse({ queryId: '-4242', database: 'app' })
 * OptimizeInput.parse({ query: ['select * from orders where customer_id = $1'] })
 * ```
 */
export const OptimizeInput = z
  .object({
    queryId: z.string().regex(/^-?[0-9]{1,20}$/, 'must be a pg_stat_statements queryid (an integer)').optional().describe('One statement of pg_stat_statements, by its queryid.'),
    query: z.array(z.string().min(1).max(20_000)).min(1).max(50).optional().describe('Statements to advise on instead of the workload ($1, $2 … for parameters); only planned (EXPLAIN), never run.'),
    database: DatabaseName,
    top: z.number().int().min(1).max(100).default(20).describe('How many statements of the workload, by total time.'),
    budgetSeconds: z.number().min(1).max(600).default(30).describe('Time budget of the search, in seconds.'),
    minImprovement: z.number().min(0.01).max(1).default(0.5).describe('Smallest cost drop (fraction) of at least one statement for an index to be recommended.'),
    apply: z.boolean().optional().describe('Create each recommended index (CONCURRENTLY, under an advisory lock), measure the statements before and after, keep it only when the gain is real; else drop it again.'),
    index: z
      .array(z.string().min(3).max(400))
      .min(1)
      .max(10)
      .optional()
      .describe('Force these candidates, as [schema.]table(column[, column…]), instead of searching (with apply: created, verified and kept or reverted like any other).'),
    dropIndex: z.array(z.string().min(1).max(200)).min(1).max(20).optional().describe('Instead of advising: drop these indexes ([schema.]name; never a primary key, unique or constraint index); needs --yes. The undo of a kept index.'),
    measureRuns: z.number().int().min(1).max(50).default(5).describe('With apply: runs of each statement per parameter set when measuring (the fastest counts).'),
    unusedDays: z.number().int().min(1).max(3650).default(30).describe('An index with no scan since statistics were reset at least this many days ago is recommended for drop.'),
  })
  .strict();
/** Input of maintenance-optimize. */
export type OptimizeInput = z.infer<typeof OptimizeInput>;

/** A statement's estimated cost before and after the recommended indexes. */
export const StatementCost = z.object({
  queryId: z.string().nullable(),
  statement: z.string().describe('Its text, every literal replaced by ?.'),
  calls: z.number(),
  costBefore: z.number().describe('Planner cost (generic plan) with the existing indexes.'),
  costAfter: z.number().describe('Planner cost with the recommended indexes too (hypothetical, hypopg).'),
});
/** A statement's cost before and after. */
export type StatementCost = z.infer<typeof StatementCost>;

/** One recommended index. */
export const IndexRecommendation = z.object({
  action: z.literal('create_index'),
  table: z.string(),
  columns: z.array(z.string()).describe('In index order.'),
  method: z.literal('btree'),
  include: z.array(z.string()).optional().describe('INCLUDE columns (for index-only scans).'),
  where: z.string().optional().describe('The predicate of a partial index (a constant the statements compare a column with).'),
  statement: z.string().describe('The CREATE INDEX CONCURRENTLY statement to run.'),
  estimatedSizeBytes: z.number(),
  improved: z.array(StatementCost).describe('Statements whose cost it lowers.'),
  slower: z.array(StatementCost).describe('Statements whose cost it raises.'),
});
/** One recommended index. */
export type IndexRecommendation = z.infer<typeof IndexRecommendation>;

/** A recommendation to drop an index: a duplicate, a prefix of another, or one never scanned. */
export const DropRecommendation = z.object({
  action: z.literal('drop_index'),
  index: z.string().describe('schema.name'),
  table: z.string(),
  reason: z.enum(['duplicate', 'redundant', 'unused']).describe('duplicate: same definition as another; redundant: its columns lead another B-tree; unused: no scan since the statistics reset.'),
  of: z.string().optional().describe('The index that makes it a duplicate or redundant.'),
  sizeBytes: z.number(),
  statement: z.string().describe('The DROP INDEX CONCURRENTLY statement (run with dropIndex and --yes).'),
});
/** A recommendation to drop an index. */
export type DropRecommendation = z.infer<typeof DropRecommendation>;

/** A statement's measured time (server side: planning + execution, the fastest of the runs, averaged over parameter sets). */
export const MeasuredStatement = z.object({
  statement: z.string(),
  beforeMs: z.number(),
  afterMs: z.number(),
});
/** A statement's measured time before and after. */
export type MeasuredStatement = z.infer<typeof MeasuredStatement>;

/** What --apply did with one index. */
export const AppliedIndex = z.object({
  index: z.string().describe('schema.name of the index created.'),
  statement: z.string(),
  outcome: z.enum(['kept', 'reverted', 'failed']).describe('kept: the gain was real; reverted: dropped again (no gain, or a regression beyond 10%); failed: the build failed and its leftover was dropped.'),
  reason: z.string(),
  improved: z.array(MeasuredStatement).describe('The statements it was meant to speed up.'),
  others: z.array(MeasuredStatement).describe('The other measured statements (a regression beyond 10% reverts).'),
});
/** What --apply did with one index. */
export type AppliedIndex = z.infer<typeof AppliedIndex>;

/** Output of maintenance-optimize. */
export const OptimizeReport = z.object({
  node: z.string(),
  database: z.string(),
  statements: z.array(StatementCost).describe('Every statement costed, with the recommended set in place.'),
  skipped: z.array(z.object({ statement: z.string(), reason: z.string() })).describe('Statements that could not be planned (utility statements, unknown parameter types, …).'),
  recommendations: z.array(IndexRecommendation),
  recommended: z.number().int().describe('How many indexes are recommended.'),
  candidates: z.number().int().describe('Hypothetical indexes costed.'),
  budgetExhausted: z.boolean().describe('The search stopped at the time budget.'),
  workloadCostBefore: z.number().describe('Σ calls × cost before.'),
  workloadCostAfter: z.number().describe('Σ calls × cost with the recommended indexes.'),
  considered: z.array(z.string()).describe('Every candidate costed (CREATE INDEX statements).'),
  drops: z.array(DropRecommendation).describe('Indexes worth dropping (never a primary key, unique or constraint index).'),
  qualstats: z.boolean().describe("pg_qualstats' predicates were read (it is installed in the database and preloaded)."),
  vectors: z
    .array(z.object({ table: z.string(), column: z.string(), collection: z.string(), rows: z.number(), statement: z.string() }))
    .describe('pgvector columns the statements order or filter by: no B-tree for them; vector-index builds HNSW (see the recommendations).'),
  unmeasured: z.array(z.string()).optional().describe('With apply: statements not measured (not a SELECT, or a parameter whose column could not be found).'),
  applied: z.array(AppliedIndex).optional().describe('With apply: each index created and whether it was kept.'),
  dropped: z.array(z.string()).optional().describe('With dropIndex: the indexes dropped.'),
});
/** Output of maintenance-optimize. */
export type OptimizeReport = z.infer<typeof OptimizeReport>;
