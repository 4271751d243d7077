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
  statement: z.string().describe('The CREATE INDEX CONCURRENTLY statement to run.'),
  estimatedSizeBytes: z.number(),
  improved: z.array(StatementCost).describe('Statements whose cost it lowers.'),
  slower: z.array(StatementCost).describe('Statements whose cost it raises.'),
});
/** One recommended index. */
export type IndexRecommendation = z.infer<typeof IndexRecommendation>;

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
});
/** Output of maintenance-optimize. */
export type OptimizeReport = z.infer<typeof OptimizeReport>;
