import { InputError, type ClusterConfig } from '@pgcluster/core';
import type pg from 'pg';
import { currentDatabase, resolveTarget, withTarget, type MaintenanceTarget } from '../connection/maintenance-target';
import { qualified, quoteIdent } from '../sql/qualified-name';
import { resolveRelation, type ResolvedRelation } from '../sql/resolve-relation';
import type { AnalyzedTable, AnalyzeInput, AnalyzeReport } from './analyze-schema';

/** The lock ANALYZE and ALTER COLUMN … SET STATISTICS take. */
export const ANALYZE_LOCK = 'SHARE UPDATE EXCLUSIVE (reads and writes go on; DDL, vacuum and other analyzes of the table wait)';

// Each table's rows changed since its last analyze and its autoanalyze threshold (per-table reloptions applied),
// or 50 + $2 × rows when a scale factor is given.
const TABLES_SQL = `
select n.nspname as schema, c.relname as name, format('%I.%I', n.nspname, c.relname) as display,
       coalesce(s.n_mod_since_analyze, 0)::float8 as changed,
       (s.last_analyze is null and s.last_autoanalyze is null) as never,
       case when $2::float8 is null
            then coalesce(o.threshold, current_setting('autovacuum_analyze_threshold')::float8)
               + coalesce(o.scale, current_setting('autovacuum_analyze_scale_factor')::float8) * greatest(c.reltuples, 0)
            else 50 + $2::float8 * greatest(c.reltuples, 0) end as threshold
  from pg_class c
  join pg_namespace n on n.oid = c.relnamespace
  left join pg_stat_all_tables s on s.relid = c.oid
  left join lateral (
    select max(split_part(x, '=', 2)) filter (where split_part(x, '=', 1) = 'autovacuum_analyze_threshold')::float8 as threshold,
           max(split_part(x, '=', 2)) filter (where split_part(x, '=', 1) = 'autovacuum_analyze_scale_factor')::float8 as scale
      from unnest(c.reloptions) x) o on true
 where c.relkind in ('r', 'm', 'p') and ($1::oid is null or c.oid = $1::oid)
   and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_(toast|temp)'
 order by 3`;

interface TableRow {
  schema: string;
  name: string;
  display: string;
  changed: number;
  never: boolean;
  threshold: number;
}

/** What an analyze would do. */
export interface AnalyzePlan {
  target: MaintenanceTarget;
  database: string;
  tables: AnalyzedTable[];
  /** The statements, in order. */
  statements: string[];
  statisticsTarget?: { table: ResolvedRelation; column: string; before: number; after: number };
}

/**
 * Checks the input, finds the tables (the named one, or the stale and never-analyzed ones of the
 * database, or all with `all`) and builds the statements.
 * @throws InputError naming the field (nothing done).
 * @example
 * ```ts
 * const plan = await planAnalyze(config, { database: 'app' })
 * plan.statements // ['ANALYZE "public"."orders"']
 * ```
 */
export async function planAnalyze(config: ClusterConfig, input: AnalyzeInput, signal?: AbortSignal): Promise<AnalyzePlan> {
  if ((input.column === undefined) !== (input.statisticsTarget === undefined)) {
    throw new InputError(input.column === undefined ? 'column' : 'statisticsTarget', 'column and statisticsTarget go together (with a table)');
  }
  if (input.column && !input.table) throw new InputError('table', 'a column statistics target needs the table');
  if (input.statisticsTarget === 0) throw new InputError('statisticsTarget', 'must be 1 to 10000, or -1 for the default (0 would stop collecting statistics for the column)');
  if (input.table && (input.all || input.scaleFactor !== undefined)) throw new InputError(input.all ? 'all' : 'scaleFactor', 'applies to a whole database, not to a named table');
  const target = await resolveTarget(config, input, 'ANALYZE', signal);
  return withTarget(target, 'planning ANALYZE', async (c) => {
    const database = await currentDatabase(c);
    const table = input.table ? await resolveRelation(c, input.table, 'table', ['r', 'm', 'p'], `database ${database}`) : undefined;
    const rows = (await c.query<TableRow>(TABLES_SQL, [table?.oid ?? null, input.scaleFactor ?? null])).rows;
    const chosen = (r: TableRow) => table !== undefined || input.all === true || r.never || r.changed >= r.threshold;
    const tables = rows.map((r): AnalyzedTable => ({ table: r.display, rowsChanged: r.changed, threshold: r.threshold, neverAnalyzed: r.never, analyzed: chosen(r) }));
    const statements: string[] = [];
    let statisticsTarget: AnalyzePlan['statisticsTarget'];
    if (table && input.column && input.statisticsTarget !== undefined) {
      const before = await columnTarget(c, table, input.column);
      statisticsTarget = { table, column: input.column, before, after: input.statisticsTarget };
      statements.push(`ALTER TABLE ${table.quoted} ALTER COLUMN ${quoteIdent(input.column)} SET STATISTICS ${input.statisticsTarget}`);
    }
    if (input.all && !table) statements.push('ANALYZE');
    else statements.push(...rows.filter(chosen).map((r) => `ANALYZE ${qualified(r.schema, r.name)}`));
    return { target, database, tables, statements, ...(statisticsTarget ? { statisticsTarget } : {}) };
  });
}

async function columnTarget(c: pg.Client, table: ResolvedRelation, column: string): Promise<number> {
  const r = await c.query<{ target: number | null }>('select attstattarget as target from pg_attribute where attrelid = $1 and attname = $2 and attnum > 0 and not attisdropped', [table.oid, column]);
  if (r.rows.length === 0) throw new InputError('column', `must be a column of ${table.display}; it has no column ${column}`);
  return r.rows[0]!.target ?? -1;
}

/**
 * Analyzes the named table, or the stale and never-analyzed tables of a database (all with
 * `all`), on the primary; with `column` and `statisticsTarget` sets that column's statistics
 * target first (the previous value is returned for the undo).
 * @throws InputError naming the field (nothing done).
 * @example
 * ```ts
 * const report = await runAnalyze(config, { table: 'public.items', column: 'sku', statisticsTarget: 1000 })
 * report.statisticsTarget // { table: 'public.items', column: 'sku', before: -1, after: 1000 }
 * ```
 */
export async function runAnalyze(config: ClusterConfig, input: AnalyzeInput, options: { signal?: AbortSignal; progress?: (line: string) => void } = {}): Promise<AnalyzeReport> {
  const plan = await planAnalyze(config, input, options.signal);
  const started = performance.now();
  await withTarget(plan.target, 'running ANALYZE', async (c) => {
    for (const [i, s] of plan.statements.entries()) {
      options.progress?.(`${i + 1}/${plan.statements.length}: ${s}`);
      await c.query(s);
    }
  });
  const st = plan.statisticsTarget;
  return {
    node: plan.target.node,
    database: plan.database,
    tables: plan.tables,
    statements: plan.statements,
    ...(st ? { statisticsTarget: { table: st.table.display, column: st.column, before: st.before, after: st.after } } : {}),
    durationMs: Math.round(performance.now() - started),
  };
}
