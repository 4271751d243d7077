import { z } from 'zod';
import { DatabaseName } from '../connection/maintenance-target';

/**
 * Input of maintenance-analyze: a table, or the stale tables of a database (all with `all`);
 * optionally a per-column statistics target (with undo).
 * @example
 * ```ts
 * AnalyzeInput.parse({ table: 'public.items' })
 * AnalyzeInput.parse({ database: 'app' })                       // only the stale ones
 * AnalyzeInput.parse({ table: 'public.items', column: 'sku', statisticsTarget: 1000 })
 * ```
 */
export const AnalyzeInput = z
  .object({
    table: z.string().min(1).max(200).optional().describe('The table, as [schema.]name (parts may be double-quoted); analyzed whether stale or not.'),
    database: DatabaseName,
    all: z.boolean().optional().describe('Without a table: analyze every table, not only the stale ones.'),
    scaleFactor: z.number().min(0).max(1).optional().describe("Stale when rows changed since the last analyze reach 50 + scaleFactor × rows; default each table's autoanalyze threshold."),
    column: z.string().min(1).max(63).optional().describe('With table and statisticsTarget: the column whose statistics target to set.'),
    statisticsTarget: z.number().int().min(-1).max(10_000).optional().describe('ALTER COLUMN … SET STATISTICS: 1 to 10000, or -1 for default_statistics_target; the previous value is the undo.'),
  })
  .strict();
/** Input of maintenance-analyze. */
export type AnalyzeInput = z.infer<typeof AnalyzeInput>;

/** One table considered. */
export const AnalyzedTable = z.object({
  table: z.string(),
  rowsChanged: z.number().describe('Rows inserted, updated or deleted since the last analyze.'),
  threshold: z.number().describe('Rows changed at which it counts as stale.'),
  neverAnalyzed: z.boolean(),
  analyzed: z.boolean().describe('This run analyzed it.'),
});
/** One table considered. */
export type AnalyzedTable = z.infer<typeof AnalyzedTable>;

/** Output of maintenance-analyze. */
export const AnalyzeReport = z.object({
  node: z.string(),
  database: z.string(),
  tables: z.array(AnalyzedTable),
  statements: z.array(z.string()).describe('The statements that ran.'),
  statisticsTarget: z
    .object({ table: z.string(), column: z.string(), before: z.number().int(), after: z.number().int() })
    .optional()
    .describe('The column statistics target changed (before is the undo; -1 is the default).'),
  durationMs: z.number(),
});
/** Output of maintenance-analyze. */
export type AnalyzeReport = z.infer<typeof AnalyzeReport>;
