import { InputError, PgClusterError, type ClusterConfig } from '@pgcluster/core';
import { normaliseStatement } from '@pgcluster/monitoring';
import type pg from 'pg';
import { currentDatabase, resolveTarget, withTarget } from '../connection/maintenance-target';
import { qualified, quoteIdent } from '../sql/qualified-name';
import { resolveRelation } from '../sql/resolve-relation';
import { dropRecommendations } from './index-hygiene';
import { parameterSets, type MeasurableStatement } from './measure-workload';
import type { IndexRecommendation, OptimizeInput, OptimizeReport, StatementCost } from './optimize-schema';

// The workload: this database's top-level planned statements by total time (utility statements are never costed).
const WORKLOAD_SQL = `
select queryid::text as "queryId", query as text, calls::float8 as calls
  from pg_stat_statements
 where dbid = (select oid from pg_database where datname = current_database()) and toplevel
   and query ~* '^\\s*(select|with|update|delete)\\M' and ($1::bigint is null or queryid = $1::bigint)
 order by total_exec_time desc limit $2`;

const COLUMNS_SQL = `
select c.oid::int as oid, n.nspname as schema, c.relname as name, array_agg(a.attname::text order by a.attnum) as columns,
       coalesce(array_agg(a.attname::text order by a.attnum) filter (where t.typname in ('vector', 'halfvec', 'sparsevec')), '{}') as vectors,
       c.reltuples::float8 as rows
  from pg_class c join pg_namespace n on n.oid = c.relnamespace join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
  join pg_type t on t.oid = a.atttypid
 where n.nspname = $1 and c.relname = $2 group by 1, 2, 3, c.reltuples`;

// pg_qualstats (when loaded): the columns its sampled predicates compare, per table of this database.
const QUALSTATS_SQL = `
select n.nspname as schema, c.relname as "table", array_agg(distinct a.attname::text) as columns
  from pg_qualstats() q join pg_class c on c.oid = q.lrelid join pg_namespace n on n.oid = c.relnamespace
  join pg_attribute a on a.attrelid = q.lrelid and a.attnum = q.lattnum
 where q.dbid = (select oid from pg_database where datname = current_database())
 group by 1, 2`;

interface TableColumns {
  columns: string[];
  vectors: string[];
  rows: number;
}

/** A statement whose planner cost is below this is already cheap: no index is recommended for it alone (Dexter's --min-cost default). */
export const MIN_STATEMENT_COST = 100;

interface Statement {
  queryId: string | null;
  text: string;
  calls: number;
}

/** A B-tree candidate: a table and its columns in index order, maybe INCLUDE columns and a partial index's predicate. */
export interface Candidate {
  schema: string;
  table: string;
  columns: string[];
  include?: string[];
  /** `"column" = constant`, built from a constant the plan compares the column with. */
  where?: string;
}

/** A vector column the workload orders or filters by: advice for vector-index instead of a B-tree. */
interface VectorAdvice {
  table: string;
  column: string;
  collection: string;
  rows: number;
  statement: string;
}

/** pg_qualstats' predicate columns per table (`schema.table`), when it is installed and loaded; else undefined. */
async function qualstatsColumns(c: pg.Client, extensions: Set<string>): Promise<Map<string, string[]> | undefined> {
  if (!extensions.has('pg_qualstats')) return undefined;
  // Without preloading it sees only its own backend's predicates: nothing of the workload.
  const preloaded = (await c.query<{ on: boolean }>("select current_setting('shared_preload_libraries') ~ '(^|[ ,])pg_qualstats($|[ ,])' as on")).rows[0]!.on;
  if (!preloaded) return undefined;
  await c.query('savepoint qualstats');
  try {
    const rows = (await c.query<{ schema: string; table: string; columns: string[] }>(QUALSTATS_SQL)).rows;
    await c.query('release savepoint qualstats');
    return new Map(rows.map((r) => [`${r.schema}.${r.table}`, r.columns]));
  } catch {
    await c.query('rollback to savepoint qualstats');
    return undefined;
  }
}

/** Whether a partial index's predicate keeps at most 20% of the table's rows (the planner's estimate; planned, not run). */
async function selective(c: pg.Client, cand: Candidate, rows: number): Promise<boolean> {
  if (!cand.where || rows <= 0) return false;
  await c.query('savepoint selective');
  try {
    const r = await c.query<{ 'QUERY PLAN': { Plan: { 'Plan Rows': number } }[] }>(`explain (format json) select 1 from ${qualified(cand.schema, cand.table)} where ${cand.where}`);
    await c.query('release savepoint selective');
    return r.rows[0]!['QUERY PLAN'][0]!.Plan['Plan Rows'] <= rows * 0.2;
  } catch {
    await c.query('rollback to savepoint selective');
    return false;
  }
}

/** The advice, with what --apply needs to verify it: each statement that can be measured, with its parameter sets. */
export interface Advice {
  report: OptimizeReport;
  measurable: MeasurableStatement[];
  unmeasured: string[];
}

// `[schema.]table(column[, column…])`, identifiers plain lower-case or double-quoted.
const IDENT = String.raw`(?:"(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)`;
const FORCED = new RegExp(String.raw`^(${IDENT}(?:\.${IDENT})?)\s*\(\s*(${IDENT}(?:\s*,\s*${IDENT}){0,2})\s*\)$`);
const unquote = (p: string) => (p.startsWith('"') ? p.slice(1, -1).replace(/""/g, '"') : p);

/** Parses and checks the forced candidates against the catalog. @throws InputError naming `index.N`. */
async function forcedCandidates(c: pg.Client, forced: readonly string[], database: string): Promise<Candidate[]> {
  const out: Candidate[] = [];
  for (const [i, text] of forced.entries()) {
    const m = FORCED.exec(text.trim());
    if (!m) throw new InputError(`index.${i}`, 'must be [schema.]table(column[, column[, column]]): lower-case or double-quoted identifiers, 1 to 3 columns');
    const rel = await resolveRelation(c, m[1]!, `index.${i}`, ['r', 'm', 'p'], `database ${database}`);
    const columns = m[2]!.split(/\s*,\s*/).map(unquote);
    const t = (await c.query<{ columns: string[] }>(COLUMNS_SQL, [rel.schema, rel.name])).rows[0];
    const missing = columns.filter((col) => !t?.columns.includes(col));
    if (missing.length) throw new InputError(`index.${i}`, `${rel.display} has no column ${missing.join(', ')}`);
    out.push({ schema: rel.schema, table: rel.name, columns });
  }
  return out;
}

interface PlanNode {
  'Node Type'?: string;
  'Relation Name'?: string;
  Schema?: string;
  Alias?: string;
  Plans?: PlanNode[];
  [key: string]: unknown;
}

const EXPRESSION_KEYS = ['Filter', 'Index Cond', 'Recheck Cond', 'Hash Cond', 'Merge Cond', 'Join Filter', 'Sort Key', 'Group Key'];

/**
 * The generic-plan cost of a statement with the current (real and hypothetical) indexes:
 * PREPARE, EXPLAIN EXECUTE with NULL for each parameter under `plan_cache_mode =
 * force_generic_plan`, DEALLOCATE — inside a savepoint, so a statement that cannot be planned
 * leaves the transaction usable. Never runs the statement.
 */
async function costOf(c: pg.Client, text: string): Promise<{ cost: number; plan: PlanNode } | { error: string }> {
  await c.query('savepoint cost');
  try {
    await c.query(`prepare pgcluster_advise as ${text}`);
    const n = (await c.query<{ n: number }>("select coalesce(array_length(parameter_types, 1), 0) as n from pg_prepared_statements where name = 'pgcluster_advise'")).rows[0]!.n;
    const args = n > 0 ? `(${Array.from({ length: n }, () => 'NULL').join(', ')})` : '';
    const r = await c.query<{ 'QUERY PLAN': { Plan: PlanNode & { 'Total Cost': number } }[] }>(`explain (format json, verbose) execute pgcluster_advise${args}`);
    await c.query('deallocate pgcluster_advise');
    await c.query('release savepoint cost');
    const plan = r.rows[0]!['QUERY PLAN'][0]!.Plan;
    return { cost: plan['Total Cost'], plan };
  } catch (error) {
    await c.query('rollback to savepoint cost');
    return { error: normaliseStatement((error as Error).message.split('\n')[0]!) };
  }
}

/** Scanned relations of a plan with the expressions that mention them (filters, join and sort keys). */
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface ScannedRelation {
  schema: string;
  table: string;
  alias: string;
  seqScan: boolean;
  expressions: string[];
  /** Columns its scan outputs (VERBOSE `Output`), for INCLUDE candidates. */
  output: string[];
}

function relationsOf(plan: PlanNode): ScannedRelation[] {
  const rels = new Map<string, ScannedRelation>();
  const all: string[] = [];
  const walk = (node: PlanNode): void => {
    for (const k of EXPRESSION_KEYS) {
      const v = node[k];
      if (typeof v === 'string') all.push(v);
      else if (Array.isArray(v)) all.push(...v.filter((x): x is string => typeof x === 'string'));
    }
    if (node['Relation Name'] && node.Schema) {
      const key = `${node.Schema}.${node['Relation Name']}.${node.Alias ?? ''}`;
      const r = rels.get(key) ?? { schema: node.Schema, table: node['Relation Name'], alias: node.Alias ?? node['Relation Name'], seqScan: false, expressions: [], output: [] };
      if (node['Node Type'] === 'Seq Scan') r.seqScan = true;
      const alias = node.Alias ?? node['Relation Name'];
      for (const o of Array.isArray(node['Output']) ? (node['Output'] as unknown[]) : []) {
        const m = typeof o === 'string' ? new RegExp(`^(?:${escape(alias)}\\.)?("(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)$`).exec(o) : null;
        if (m) r.output.push(m[1]!.startsWith('"') ? m[1]!.slice(1, -1).replace(/""/g, '"') : m[1]!);
      }
      rels.set(key, r);
    }
    for (const child of node.Plans ?? []) walk(child);
  };
  walk(plan);
  for (const r of rels.values()) r.expressions = all;
  return [...rels.values()];
}

// A constant the plan compares a column with: a number, or a deparsed string literal with its cast.
const CONSTANT = String.raw`(-?[0-9]+(?:\.[0-9]+)?|'(?:[^'\\]|'')*'::[a-z][a-z ]*[a-z])`;

/**
 * Candidate indexes for one scanned relation: its columns in the plan's expressions, equality
 * ones first — one column, an equality column and another, two equality columns and another;
 * each also with INCLUDE of the other columns the scan outputs (up to 3, for index-only scans)
 * and, for a column compared with a constant, partial indexes `WHERE column = constant` over
 * the other columns. Vector columns get no B-tree: they are returned apart, for vector-index.
 */
function candidatesFor(rel: ScannedRelation, t: TableColumns, single: boolean, extra: readonly string[] = []): { candidates: Candidate[]; vectors: string[]; constants: { column: string; value: string }[] } {
  const text = rel.expressions.join(' ');
  const { schema, table } = rel;
  const ref = (col: string) => `(?:\\b${escape(rel.alias)}\\.)?"?\\b${escape(col)}\\b"?`;
  const mentioned = t.columns.filter((col) => extra.includes(col) || new RegExp(single ? ref(col) : `\\b${escape(rel.alias)}\\."?${escape(col)}\\b`).test(text));
  const vectors = mentioned.filter((col) => t.vectors.includes(col));
  const used = mentioned.filter((col) => !t.vectors.includes(col));
  const equality = used.filter((col) => new RegExp(`${ref(col)}\\s*=|=\\s*${ref(col)}`).test(text));
  const constants: { column: string; value: string }[] = [];
  for (const col of equality) {
    const m = new RegExp(`${ref(col)}\\)?\\s*=\\s*${CONSTANT}`).exec(text);
    if (m) constants.push({ column: col, value: m[1]! });
  }
  const keys: string[][] = used.map((col) => [col]);
  for (const e of equality) for (const o of used) if (o !== e) keys.push([e, o]);
  for (const [i, e1] of equality.entries()) for (const e2 of equality.slice(i + 1)) for (const o of used) if (o !== e1 && o !== e2) keys.push([e1, e2, o]);
  const out: Candidate[] = [];
  for (const columns of keys) {
    const include = [...new Set(rel.output)].filter((col) => !columns.includes(col) && t.columns.includes(col) && !t.vectors.includes(col));
    const wheres = [undefined, ...constants.filter((k) => !columns.includes(k.column)).map((k) => `${quoteIdent(k.column)} = ${k.value}`)];
    for (const where of wheres) {
      out.push({ schema, table, columns, ...(where ? { where } : {}) });
      if (include.length > 0 && include.length <= 3) out.push({ schema, table, columns, include, ...(where ? { where } : {}) });
    }
  }
  return { candidates: out, vectors, constants };
}

const sql = (c: Candidate) =>
  `CREATE INDEX ON ${qualified(c.schema, c.table)} (${c.columns.map(quoteIdent).join(', ')})` +
  (c.include?.length ? ` INCLUDE (${c.include.map(quoteIdent).join(', ')})` : '') +
  (c.where ? ` WHERE ${c.where}` : '');

/**
 * The read-only index advisor: costs the workload's statements (generic plans), generates B-tree
 * candidates from the columns their plans filter, join and sort on, costs each as a hypothetical
 * index (hypopg), and picks greedily — the candidate that lowers the workload's cost most, kept
 * only when some statement's cost drops by at least `minImprovement` — until nothing helps or the
 * time budget is spent. Everything runs in one READ ONLY transaction; nothing is created.
 *
 * @throws InputError naming the field; PgClusterError `NOT_SUPPORTED` without hypopg or (for the
 * workload) pg_stat_statements in the database.
 * @example
 * ```ts
 * const report = await adviseIndexes(config, { top: 20, budgetSeconds: 30, minImprovement: 0.5 })
 * report.recommendations[0].statement // 'CREATE INDEX CONCURRENTLY ON "public"."orders" ("customer_id")'
 * ```
 */
export async function adviseIndexes(config: ClusterConfig, input: OptimizeInput, signal?: AbortSignal): Promise<OptimizeReport> {
  return (await advise(config, input, signal)).report;
}

/**
 * {@link adviseIndexes} with what `--apply` needs: the statements that can be measured (SELECTs
 * whose every parameter is compared with a column, with parameter sets drawn from the column
 * statistics) and those that cannot.
 */
export async function advise(config: ClusterConfig, input: OptimizeInput, signal?: AbortSignal): Promise<Advice> {
  if (input.query && input.queryId) throw new InputError('query', 'give either query or queryId, not both');
  for (const [i, q] of (input.query ?? []).entries()) {
    // Security: one statement only (it is spliced into PREPARE … AS, in a read-only transaction, and only planned).
    if (q.replace(/;\s*$/, '').includes(';')) throw new InputError(`query.${i}`, 'must be one statement (no ; inside)');
  }
  const target = await resolveTarget(config, input, 'index advice', signal);
  const deadline = Date.now() + input.budgetSeconds * 1000;
  return withTarget(target, 'advising indexes', async (c) => {
    const database = await currentDatabase(c);
    const extensions = new Set((await c.query<{ extname: string }>('select extname from pg_extension')).rows.map((r) => r.extname));
    if (!extensions.has('hypopg')) throw new PgClusterError('NOT_SUPPORTED', `hypopg is not installed in database ${database}: the advisor costs hypothetical indexes with it`, { hint: 'CREATE EXTENSION hypopg (Debian package postgresql-15-hypopg).' });
    if (!input.query && !extensions.has('pg_stat_statements')) throw new PgClusterError('NOT_SUPPORTED', `pg_stat_statements is not installed in database ${database}: there is no workload to read`, { hint: 'CREATE EXTENSION pg_stat_statements (it must be in shared_preload_libraries), or give --query.' });
    await c.query('begin read only');
    try {
      await c.query("set local plan_cache_mode = 'force_generic_plan'");
      const statements: Statement[] = input.query
        ? input.query.map((q) => ({ queryId: null, text: q.replace(/;\s*$/, ''), calls: 1 }))
        : (await c.query<Statement>(WORKLOAD_SQL, [input.queryId ?? null, input.top])).rows;
      if (input.queryId && statements.length === 0) throw new InputError('queryId', `must be a statement of pg_stat_statements in ${database}; there is none with queryid ${input.queryId}`);
      const costed: (Statement & { before: number })[] = [];
      const measurable: MeasurableStatement[] = [];
      const unmeasured: string[] = [];
      const forced = input.index ? await forcedCandidates(c, input.index, database) : undefined;
      const skipped: { statement: string; reason: string }[] = [];
      const candidates = new Map<string, Candidate>();
      const vectorAdvice = new Map<string, VectorAdvice>();
      const qualstats = await qualstatsColumns(c, extensions);
      const selectivity = new Map<string, boolean>();
      for (const s of statements) {
        const r = await costOf(c, s.text);
        if ('error' in r) {
          skipped.push({ statement: normaliseStatement(s.text), reason: r.error });
          continue;
        }
        costed.push({ ...s, before: r.cost });
        if (input.apply) {
          const sets = /^\s*(select|with)\b/i.test(s.text) ? await parameterSets(c, s.text, r.plan, 5) : null;
          if (sets) measurable.push({ text: s.text, statement: normaliseStatement(s.text), parameterSets: sets });
          else unmeasured.push(normaliseStatement(s.text));
        }
        if (forced) continue;
        const rels = relationsOf(r.plan);
        for (const rel of rels.filter((x) => x.seqScan || rels.length === 1)) {
          const t = (await c.query<TableColumns>(COLUMNS_SQL, [rel.schema, rel.table])).rows[0];
          if (!t) continue;
          const found = candidatesFor(rel, t, rels.length === 1, qualstats?.get(`${rel.schema}.${rel.table}`));
          for (const column of found.vectors) {
            vectorAdvice.set(`${rel.schema}.${rel.table}.${column}`, { table: `${rel.schema}.${rel.table}`, column, collection: rel.table, rows: t.rows, statement: normaliseStatement(s.text) });
          }
          for (const cand of found.candidates) {
            // A partial index only where its predicate is selective (≤ 20% of the rows, by the planner's estimate).
            if (cand.where) {
              const key = `${qualified(cand.schema, cand.table)} WHERE ${cand.where}`;
              if (!selectivity.has(key)) selectivity.set(key, await selective(c, cand, t.rows));
              if (!selectivity.get(key)) continue;
            }
            candidates.set(sql(cand), cand);
          }
        }
      }
      const costs = async () => {
        const out: number[] = [];
        for (const s of costed) {
          const r = await costOf(c, s.text);
          out.push('error' in r ? Number.POSITIVE_INFINITY : r.cost);
        }
        return out;
      };
      let current = costed.map((s) => s.before);
      const chosen: { cand: Candidate; before: number[]; after: number[]; bytes: number }[] = [];
      let tried = 0;
      let exhausted = false;
      const remaining = new Map(candidates);
      for (const cand of forced ?? []) {
        // A forced candidate is costed and recommended whatever it does (with apply, verification decides).
        const h = (await c.query<{ oid: number }>('select indexrelid::int as oid from hypopg_create_index($1)', [sql(cand)])).rows[0]!;
        const after = await costs();
        const bytes = Number((await c.query<{ b: string }>('select hypopg_relation_size($1)::text as b', [h.oid])).rows[0]!.b);
        chosen.push({ cand, before: current, after, bytes });
        candidates.set(sql(cand), cand);
        tried++;
        current = after;
      }
      while (!forced && remaining.size > 0) {
        let best: { key: string; cand: Candidate; after: number[]; gain: number; bytes: number } | undefined;
        for (const [key, cand] of remaining) {
          if (Date.now() > deadline || signal?.aborted) {
            exhausted = true;
            break;
          }
          tried++;
          const h = (await c.query<{ oid: number }>('select indexrelid::int as oid from hypopg_create_index($1)', [sql(cand)])).rows[0]!;
          const after = await costs();
          const bytes = Number((await c.query<{ b: string }>('select hypopg_relation_size($1)::text as b', [h.oid])).rows[0]!.b);
          await c.query('select hypopg_drop_index($1)', [h.oid]);
          const gain = costed.reduce((sum, s, i) => sum + s.calls * (current[i]! - after[i]!), 0);
          // As Dexter (--min-cost 100): a statement already that cheap is not worth an index.
          const helps = costed.some((_, i) => current[i]! >= MIN_STATEMENT_COST && after[i]! <= current[i]! * (1 - input.minImprovement));
          // Within 1% of the best gain, the smaller index wins (a partial or narrower one over a wide one).
          const better = !best || gain > best.gain * 1.01 || (gain >= best.gain * 0.99 && bytes < best.bytes);
          if (helps && gain > 0 && better) best = { key, cand, after, gain, bytes };
        }
        if (!best || exhausted) break;
        await c.query('select hypopg_create_index($1)', [sql(best.cand)]);
        chosen.push({ cand: best.cand, before: current, after: best.after, bytes: best.bytes });
        current = best.after;
        remaining.delete(best.key);
      }
      await c.query('select hypopg_reset()');
      const drops = input.index ? [] : await dropRecommendations(c, input.unusedDays);
      const cost = (s: Statement & { before: number }, after: number): StatementCost => ({ queryId: s.queryId, statement: normaliseStatement(s.text), calls: s.calls, costBefore: s.before, costAfter: after });
      const recommendations: IndexRecommendation[] = chosen.map(({ cand, before, after, bytes }) => ({
        action: 'create_index',
        table: `${cand.schema}.${cand.table}`,
        columns: cand.columns,
        method: 'btree',
        ...(cand.include ? { include: cand.include } : {}),
        ...(cand.where ? { where: cand.where } : {}),
        statement: sql(cand).replace('CREATE INDEX ON', 'CREATE INDEX CONCURRENTLY ON'),
        estimatedSizeBytes: bytes,
        improved: costed.flatMap((s, i) => (after[i]! < before[i]! ? [{ ...cost(s, after[i]!), costBefore: before[i]! }] : [])),
        slower: costed.flatMap((s, i) => (after[i]! > before[i]! ? [{ ...cost(s, after[i]!), costBefore: before[i]! }] : [])),
      }));
      const vectors = [...vectorAdvice.values()];
      const report: OptimizeReport = {
        node: target.node,
        database,
        statements: costed.map((s, i) => cost(s, current[i]!)),
        skipped,
        recommendations,
        recommended: recommendations.length,
        candidates: tried,
        budgetExhausted: exhausted,
        workloadCostBefore: costed.reduce((sum, s) => sum + s.calls * s.before, 0),
        workloadCostAfter: costed.reduce((sum, s, i) => sum + s.calls * current[i]!, 0),
        considered: [...candidates.keys()],
        drops,
        qualstats: qualstats !== undefined,
        vectors,
      };
      return { report, measurable, unmeasured };
    } finally {
      await c.query('rollback').catch(() => undefined);
    }
  });
}
