import { z } from 'zod';
import { DatabaseName } from '../connection/maintenance-target';
import { AutovacuumSettings } from './autovacuum-settings';

/** INDEX_CLEANUP choices of VACUUM. */
export const INDEX_CLEANUP_MODES = ['auto', 'on', 'off'] as const;
/** One of {@link INDEX_CLEANUP_MODES}. */
export type IndexCleanupMode = (typeof INDEX_CLEANUP_MODES)[number];

/** What `autovacuum` does: suggest settings, or apply the suggestion. */
export const AUTOVACUUM_MODES = ['suggest', 'apply'] as const;

/**
 * Input of maintenance-vacuum: a table (in the default database, or `database`), or a whole database.
 * @example
 * ```ts
 * VacuumInput.parse({ table: 'public.items' })
 * VacuumInput.parse({ database: 'app', freeze: true })
 * VacuumInput.parse({ table: 'public.items', full: true }) // needs --yes
 * VacuumInput.parse({ table: 'public.items', repack: true }) // online, with pg_repack
 * ```
 */
export const VacuumInput = z
  .object({
    table: z.string().min(1).max(200).optional().describe('The table, as [schema.]name (parts may be double-quoted); without it the whole database is vacuumed.'),
    database: DatabaseName,
    freeze: z.boolean().optional().describe('VACUUM (FREEZE): freeze every row now, against transaction ID wraparound.'),
    analyze: z.boolean().optional().describe('VACUUM (ANALYZE): refresh the planner statistics too.'),
    indexCleanup: z.enum(INDEX_CLEANUP_MODES).optional().describe('VACUUM (INDEX_CLEANUP …): off skips the indexes (faster, for wraparound emergencies).'),
    full: z.boolean().optional().describe('VACUUM FULL: rewrites the table to return space to the OS; takes an ACCESS EXCLUSIVE lock; needs a table and --yes.'),
    repack: z.boolean().optional().describe('Remove bloat online with pg_repack (needs a primary key or a NOT NULL unique index and about twice the table size free; creates the extension when needed).'),
    autovacuum: z.enum(AUTOVACUUM_MODES).optional().describe("Instead of vacuuming: suggest the table's autovacuum settings from its size and churn, or apply the suggestion (undo restores the previous ones)."),
    autovacuumSettings: AutovacuumSettings.optional().describe('Instead of vacuuming: set these autovacuum parameters on the table (null resets one); undo restores the previous ones.'),
  })
  .strict();
/** Input of maintenance-vacuum. */
export type VacuumInput = z.infer<typeof VacuumInput>;

/** One table before and after. */
export const VacuumedTable = z.object({
  table: z.string(),
  deadRowsBefore: z.number(),
  deadRowsAfter: z.number(),
  liveRows: z.number(),
  sizeBytesBefore: z.number().describe('Table, indexes and TOAST, in bytes.'),
  sizeBytesAfter: z.number(),
});
/** One table before and after. */
export type VacuumedTable = z.infer<typeof VacuumedTable>;

/** Output of maintenance-vacuum. */
export const VacuumReport = z.object({
  node: z.string(),
  database: z.string(),
  statement: z.string().describe('The statement that ran (statements, separated by ; when settings changed; empty for a suggestion).'),
  lock: z.string().describe('The lock it took on each table.'),
  autovacuum: z
    .object({
      table: z.string(),
      current: AutovacuumSettings.describe('The parameters set on the table before this run (the others follow the server).'),
      suggested: AutovacuumSettings,
      reasons: z.array(z.string()),
      applied: AutovacuumSettings.nullable().describe('What this run set (null: nothing, a suggestion only).'),
    })
    .optional()
    .describe("The table's autovacuum parameters, with --autovacuum or --autovacuum-settings."),
  repack: z
    .object({ keyIndex: z.string(), diskNeededBytes: z.number(), diskFreeBytes: z.number().optional(), extensionCreated: z.boolean() })
    .optional()
    .describe('With --repack: the index pg_repack keyed on, the disk it needed and had, whether the extension was created.'),
  tables: z.array(VacuumedTable).describe('The table vacuumed (empty for a whole database).'),
  durationMs: z.number(),
});
/** Output of maintenance-vacuum. */
export type VacuumReport = z.infer<typeof VacuumReport>;
