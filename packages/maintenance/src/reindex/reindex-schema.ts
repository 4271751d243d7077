import { actionInput, type ActionInput } from '@pgcluster/skill-kit';
import { z } from 'zod';
import { DatabaseName } from '../connection/maintenance-target';

/** What maintenance-reindex does with an index. */
export const REINDEX_ACTIONS = ['reindex', 'drop-leftover'] as const;
/** One of {@link REINDEX_ACTIONS}. */
export type ReindexAction = (typeof REINDEX_ACTIONS)[number];

const IndexName = z.string().min(1).max(200).describe('One index, as [schema.]name (parts may be double-quoted).');
const Database = { database: DatabaseName };

/**
 * Input of maintenance-reindex, per action: reindex (one index, every index of a table, every
 * invalid index, or the bloated B-trees of a database) or drop-leftover (one invalid
 * _ccnew/_ccold leftover of a failed REINDEX CONCURRENTLY; requires confirmation).
 * @example
 * ```ts
 * ReindexInput.parse({ index: 'public.items_sku_key' })
 * ReindexInput.parse({ index: 'public.items_sku_key_ccnew', action: 'drop-leftover' })
 * ReindexInput.parse({ invalid: true })
 * ```
 */
export const ReindexInput = actionInput(
  {
    reindex: z
      .object({
        index: IndexName.optional(),
        table: z.string().min(1).max(200).optional().describe('Every index of this table.'),
        invalid: z.boolean().optional().describe('Every invalid index of the database (leftovers of a failed REINDEX CONCURRENTLY are dropped, the others rebuilt).'),
        bloated: z.boolean().optional().describe("The B-tree indexes monitoring-health's index_bloat check estimates to waste at least minBloatBytes."),
        minBloatBytes: z.number().int().min(0).optional().describe('With bloated: the wasted bytes from which an index is rebuilt; default 1 GiB (the check\'s warning).'),
        ...Database,
        maintenanceWorkMem: z
          .string()
          .regex(/^[1-9][0-9]{0,6}(kB|MB|GB)$/, 'must be a size such as 256MB or 2GB')
          .optional()
          .describe('maintenance_work_mem for HNSW/IVFFlat rebuilds; default from the index and table size (64MB to 1GB).'),
        parallelWorkers: z.number().int().min(0).max(64).optional().describe('max_parallel_maintenance_workers for the rebuilds; default 2.'),
      })
      .superRefine((input, ctx) => {
        const modes = (['index', 'table', 'invalid', 'bloated'] as const).filter((k) => input[k] !== undefined && input[k] !== false);
        if (modes.length !== 1) ctx.addIssue({ code: 'custom', path: [modes[1] ?? 'index'], message: 'give exactly one of index, table, invalid or bloated' });
        if (input.minBloatBytes !== undefined && !input.bloated) ctx.addIssue({ code: 'custom', path: ['minBloatBytes'], message: 'applies with bloated' });
      }),
    'drop-leftover': z.object({ index: IndexName, ...Database }),
  },
  {
    default: 'reindex',
    describe: 'reindex (REINDEX INDEX CONCURRENTLY) or drop-leftover (DROP INDEX CONCURRENTLY of an invalid _ccnew/_ccold leftover; needs --yes).',
  },
);
/** Input of maintenance-reindex: one of its actions' inputs. */
export type ReindexInput = ActionInput<typeof ReindexInput>;

/** What the reindex functions take: the fields of any action of {@link ReindexInput} (a validated input is one). */
export interface ReindexRequest {
  action: ReindexAction;
  index?: string | undefined;
  table?: string | undefined;
  invalid?: boolean | undefined;
  bloated?: boolean | undefined;
  minBloatBytes?: number | undefined;
  database?: string | undefined;
  maintenanceWorkMem?: string | undefined;
  parallelWorkers?: number | undefined;
}

/** What happened to one index. */
export const ReindexedIndex = z.object({
  index: z.string(),
  table: z.string(),
  method: z.string().describe('btree, hash, gin, gist, hnsw, ivfflat, …'),
  action: z.enum(['reindexed', 'dropped', 'failed']),
  validBefore: z.boolean(),
  validAfter: z.boolean().nullable().describe('null when the index is gone (dropped).'),
  sizeBytesBefore: z.number(),
  sizeBytesAfter: z.number().nullable(),
  statements: z.array(z.string()),
  leftoversDropped: z.array(z.string()).describe('_ccnew indexes a failed or cancelled rebuild left behind, dropped again.'),
  error: z.string().optional(),
  durationMs: z.number(),
});
/** What happened to one index. */
export type ReindexedIndex = z.infer<typeof ReindexedIndex>;

/** Output of maintenance-reindex. */
export const ReindexReport = z.object({
  node: z.string(),
  database: z.string(),
  indexes: z.array(ReindexedIndex),
  counts: z.object({ reindexed: z.number().int(), dropped: z.number().int(), failed: z.number().int() }),
});
/** Output of maintenance-reindex. */
export type ReindexReport = z.infer<typeof ReindexReport>;
