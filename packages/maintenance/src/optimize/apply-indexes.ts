import { InputError, RefusedError, type ClusterConfig } from '@pgcluster/core';
import type pg from 'pg';
import { currentDatabase, resolveTarget, withTarget, type MaintenanceTarget } from '../connection/maintenance-target';
import { quoteIdent } from '../sql/qualified-name';
import { advise } from './advise-indexes';
import { dropIndexes } from './index-hygiene';
import { measureStatements, type MeasurableStatement } from './measure-workload';
import type { AppliedIndex, IndexRecommendation, MeasuredStatement, OptimizeInput, OptimizeReport } from './optimize-schema';

/** The advisory lock key that lets one optimizer at a time create indexes in a database ('pgcl' 'opt1'). */
export const OPTIMIZE_LOCK_KEY = '8101063101112116';
/** How long CREATE / DROP INDEX CONCURRENTLY wait for a lock before giving up. */
const LOCK_TIMEOUT = '5s';
/** A kept index must cut its statements' time by at least this fraction. */
export const MIN_REAL_GAIN = 0.2;
/** Another statement slower by more than this fraction reverts the index … */
export const MAX_REGRESSION = 0.1;
/** … when it is also slower by more than this many milliseconds (below it, a loaded machine's jitter). */
export const NOISE_FLOOR_MS = 0.2;

/** Options of {@link optimizeIndexes}. */
export interface OptimizeOptions {
  /** --yes: dropIndex may drop. */
  confirmed?: boolean;
  signal?: AbortSignal;
  progress?: (line: string) => void;
}

/**
 * maintenance-optimize: advice only, advice then `apply` (create, verify, keep or revert), or
 * `dropIndex` (drop named indexes; needs confirmation).
 *
 * Why verification runs the statements itself instead of reading pg_stat_statements deltas over
 * a window: deltas need the application's own traffic during the window (none on a quiet
 * cluster, a different mix from one window to the next), and on a small loaded machine a mean
 * over whatever ran is mostly noise. Here every statement runs with the same parameter sets
 * (drawn from pg_stats) before and after, in a READ ONLY transaction; the server's own timing
 * (EXPLAIN ANALYZE, TIMING OFF: no client or network in it) is taken, and the fastest of
 * `measureRuns` counts — load only ever adds time, so the minimum is the steadiest estimate. A
 * regression must exceed both 10% and {@link NOISE_FLOOR_MS}. Writes (UPDATE, DELETE) are not
 * run: they are listed as unmeasured.
 * @throws InputError (nothing done); RefusedError for an unconfirmed drop or when another optimizer holds the lock.
 * @example
 * ```ts
 * const report = await optimizeIndexes(config, { apply: true, top: 20 })
 * report.applied // [{ index: 'public.orders_customer_id_idx', outcome: 'kept', … }]
 * ```
 */
export async function optimizeIndexes(config: ClusterConfig, input: OptimizeInput, options: OptimizeOptions = {}): Promise<OptimizeReport> {
  if (input.dropIndex) {
    const conflicting = (['apply', 'index', 'query', 'queryId'] as const).find((k) => input[k] !== undefined);
    if (conflicting) throw new InputError(conflicting, 'does not go with dropIndex (which only drops the named indexes)');
    return dropOnly(config, input, options);
  }
  const { report, measurable, unmeasured } = await advise(config, input, options.signal);
  if (!input.apply) return report;
  const target = await resolveTarget(config, input, 'creating indexes', options.signal);
  const applied: AppliedIndex[] = [];
  await withTarget(target, 'creating recommended indexes', async (c) => {
    const got = (await c.query<{ ok: boolean }>('select pg_try_advisory_lock($1::bigint) as ok', [OPTIMIZE_LOCK_KEY])).rows[0]!.ok;
    if (!got) throw new RefusedError('another maintenance-optimize is applying indexes in this database (it holds the advisory lock); nothing was done', { hint: 'Wait for it to finish, then run again.' });
    try {
      await c.query(`set lock_timeout = '${LOCK_TIMEOUT}'`);
      let baseline = await measure(target, measurable, input.measureRuns, options);
      for (const rec of report.recommendations) {
        const schema = rec.table.slice(0, rec.table.indexOf('.'));
        const name = await indexName(c, schema, rec);
        const statement = rec.statement.replace('CREATE INDEX CONCURRENTLY ON', `CREATE INDEX CONCURRENTLY ${quoteIdent(name)} ON`);
        const index = `${display(schema)}.${display(name)}`;
        const drop = `DROP INDEX CONCURRENTLY IF EXISTS ${quoteIdent(schema)}.${quoteIdent(name)}`;
        options.progress?.(`creating ${index}: ${statement}`);
        try {
          await c.query(statement);
        } catch (error) {
          // A failed concurrent build leaves an INVALID index: drop the leftover.
          await c.query(drop).catch(() => undefined);
          applied.push({ index, statement, outcome: 'failed', reason: (error as Error).message.split('\n')[0]!, improved: [], others: [] });
          continue;
        }
        let after: Map<string, number>;
        try {
          after = await measure(target, measurable, input.measureRuns, options);
        } catch (error) {
          // Not verified, not kept.
          await c.query(drop);
          applied.push({ index, statement, outcome: 'failed', reason: `not verified, dropped again: ${(error as Error).message.split('\n')[0]!}`, improved: [], others: [] });
          continue;
        }
        const verdict = judge(rec, baseline, after);
        if (verdict.keep) baseline = after;
        else await c.query(drop);
        options.progress?.(`${index}: ${verdict.keep ? 'kept' : 'reverted'} (${verdict.reason})`);
        applied.push({ index, statement, outcome: verdict.keep ? 'kept' : 'reverted', reason: verdict.reason, improved: verdict.improved, others: verdict.others });
      }
    } finally {
      await c.query('select pg_advisory_unlock($1::bigint)', [OPTIMIZE_LOCK_KEY]).catch(() => undefined);
    }
  });
  return { ...report, unmeasured, applied };
}

async function measure(target: MaintenanceTarget, statements: MeasurableStatement[], runs: number, options: OptimizeOptions): Promise<Map<string, number>> {
  options.progress?.(`measuring ${statements.length} statement(s), ${runs} run(s) per parameter set`);
  return withTarget(target, 'measuring the workload', (c) => measureStatements(c, statements, runs, options.signal));
}

/**
 * Keep or revert: the statements the index was meant to speed up must together get at least
 * {@link MIN_REAL_GAIN} faster, and no measured statement may get slower by more than
 * {@link MAX_REGRESSION} (and {@link NOISE_FLOOR_MS}).
 */
function judge(rec: IndexRecommendation, before: Map<string, number>, after: Map<string, number>): { keep: boolean; reason: string; improved: MeasuredStatement[]; others: MeasuredStatement[] } {
  const targets = new Set(rec.improved.map((s) => s.statement));
  const rows = [...after].map(([statement, afterMs]) => ({ statement, beforeMs: round(before.get(statement) ?? afterMs), afterMs: round(afterMs) }));
  const improved = rows.filter((r) => targets.has(r.statement));
  const others = rows.filter((r) => !targets.has(r.statement));
  const sum = (xs: MeasuredStatement[], k: 'beforeMs' | 'afterMs') => xs.reduce((a, r) => a + r[k], 0);
  const regressed = rows.filter((r) => r.afterMs > r.beforeMs * (1 + MAX_REGRESSION) && r.afterMs - r.beforeMs > NOISE_FLOOR_MS);
  if (improved.length === 0) return { keep: false, reason: 'none of the measured statements was expected to use it: no gain', improved, others };
  const b = sum(improved, 'beforeMs');
  const a = sum(improved, 'afterMs');
  if (regressed.length > 0) return { keep: false, reason: `${regressed.length} statement(s) slower by more than ${MAX_REGRESSION * 100}%: ${regressed[0]!.statement} ${regressed[0]!.beforeMs} → ${regressed[0]!.afterMs} ms`, improved, others };
  if (a > b * (1 - MIN_REAL_GAIN)) return { keep: false, reason: `no real gain: its statements took ${round(b)} ms, now ${round(a)} ms (needs ${MIN_REAL_GAIN * 100}% less)`, improved, others };
  return { keep: true, reason: `its statements took ${round(b)} ms, now ${round(a)} ms`, improved, others };
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/** A free name: table_col1_col2_idx, shortened to 63 bytes, with a number when taken. */
async function indexName(c: pg.Client, schema: string, rec: IndexRecommendation): Promise<string> {
  const table = rec.table.slice(schema.length + 1);
  const base = `${table}_${rec.columns.join('_')}`.replace(/[^a-zA-Z0-9_]/g, '_').slice(0, 55);
  for (let i = 0; ; i++) {
    const name = `${base}_${i === 0 ? '' : `${i}_`}idx`;
    const taken = (await c.query('select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = $1 and c.relname = $2', [schema, name])).rowCount === 1;
    if (!taken) return name;
  }
}

/** An identifier as `format('%I')` writes it: quoted only when it must be. */
const display = (p: string) => (/^[a-z_][a-z0-9_$]*$/.test(p) ? p : quoteIdent(p));

async function dropOnly(config: ClusterConfig, input: OptimizeInput, options: OptimizeOptions): Promise<OptimizeReport> {
  if (!options.confirmed) throw new RefusedError(`dropping ${input.dropIndex!.join(', ')} removes index(es) statements may rely on; nothing was dropped`, { hint: 'Review, then pass --yes.' });
  const target = await resolveTarget(config, input, 'dropping indexes', options.signal);
  return withTarget(target, 'dropping indexes', async (c) => {
    const database = await currentDatabase(c);
    const dropped = await dropIndexes(c, input.dropIndex!, database);
    return {
      node: target.node,
      database,
      statements: [],
      skipped: [],
      recommendations: [],
      recommended: 0,
      candidates: 0,
      budgetExhausted: false,
      workloadCostBefore: 0,
      workloadCostAfter: 0,
      considered: [],
      drops: [],
      qualstats: false,
      vectors: [],
      dropped,
    };
  });
}
