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
select c.oid::int as oid, n.nspname as schema, c.relname as name, array_agg(a.attname::text order by a.attnum) as columns
  from pg_class c join pg_namespace n on n.oid = c.relnamespace join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
 where n.nspname = $1 and c.relname = $2 group by 1, 2, 3`;

interface Statement {
  queryId: string | null;
  text: string;
  calls: number;
}

/** A B-tree candidate: a table and its columns in index order. */
export interface Candidate {
  schema: string;
  table: string;
  columns: string[];
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
function relationsOf(plan: PlanNode): { schema: string; table: string; alias: string; seqScan: boolean; expressions: string[] }[] {
  const rels = new Map<string, { schema: string; table: string; alias: string; seqScan: boolean; expressions: string[] }>();
  const all: string[] = [];
  const walk = (node: PlanNode): void => {
    for (const k of EXPRESSION_KEYS) {
      const v = node[k];
      if (typeof v === 'string') all.push(v);
      else if (Array.isArray(v)) all.push(...v.filter((x): x is string => typeof x === 'string'));
    }
    if (node['Relation Name'] && node.Schema) {
      const key = `${node.Schema}.${node['Relation Name']}.${node.Alias ?? ''}`;
      const r = rels.get(key) ?? { schema: node.Schema, table: node['Relation Name'], alias: node.Alias ?? node['Relation Name'], seqScan: false, expressions: [] };
      if (node['Node Type'] === 'Seq Scan') r.seqScan = true;
      rels.set(key, r);
    }
    for (const child of node.Plans ?? []) walk(child);
  };
  walk(plan);
  for (const r of rels.values()) r.expressions = all;
  return [...rels.values()];
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Candidate indexes for one scanned relation: its columns in the plan's expressions, equality ones first, one or two columns. */
function candidatesFor(rel: { table: string; alias: string; expressions: string[] }, columns: string[], schema: string, single: boolean): Candidate[] {
  const text = rel.expressions.join(' ');
  const ref = (col: string) => `(?:\\b${escape(rel.alias)}\\.)?"?\\b${escape(col)}\\b"?`;
  const used = columns.filter((col) => new RegExp(single ? ref(col) : `\\b${escape(rel.alias)}\\."?${escape(col)}\\b`).test(text));
  const equality = used.filter((col) => new RegExp(`${ref(col)}\\s*=|=\\s*${ref(col)}`).test(text));
  const out: Candidate[] = used.map((col) => ({ schema, table: rel.table, columns: [col] }));
  for (const e of equality) for (const o of used) if (o !== e) out.push({ schema, table: rel.table, columns: [e, o] });
  return out;
}

const sql = (c: Candidate) => `CREATE INDEX ON ${qualified(c.schema, c.table)} (${c.columns.map(quoteIdent).join(', ')})`;

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
          const t = (await c.query<{ columns: string[] }>(COLUMNS_SQL, [rel.schema, rel.table])).rows[0];
          for (const cand of candidatesFor(rel, t?.columns ?? [], rel.schema, rels.length === 1)) candidates.set(sql(cand), cand);
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
          const helps = costed.some((_, i) => after[i]! <= current[i]! * (1 - input.minImprovement));
          if (helps && gain > 0 && (!best || gain > best.gain || (gain === best.gain && bytes < best.bytes))) best = { key, cand, after, gain, bytes };
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
        statement: sql(cand).replace('CREATE INDEX ON', 'CREATE INDEX CONCURRENTLY ON'),
        estimatedSizeBytes: bytes,
        improved: costed.flatMap((s, i) => (after[i]! < before[i]! ? [{ ...cost(s, after[i]!), costBefore: before[i]! }] : [])),
        slower: costed.flatMap((s, i) => (after[i]! > before[i]! ? [{ ...cost(s, after[i]!), costBefore: before[i]! }] : [])),
      }));
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
      };
      return { report, measurable, unmeasured };
    } finally {
      await c.query('rollback').catch(() => undefined);
    }
  });
}
