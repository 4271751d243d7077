import type pg from 'pg';

/** A statement ready to measure: its text and parameter sets drawn from the column statistics. */
export interface MeasurableStatement {
  text: string;
  /** Normalised text (as reported). */
  statement: string;
  /** Each set gives one value (as text) per parameter $1…$n. */
  parameterSets: string[][];
}

interface PlanNode {
  'Relation Name'?: string;
  Schema?: string;
  Alias?: string;
  Plans?: PlanNode[];
  [key: string]: unknown;
}

const EXPRESSIONS = ['Filter', 'Index Cond', 'Recheck Cond', 'Join Filter', 'One-Time Filter'];
// `alias.column op $n` or `$n op alias.column` in a plan's expressions (casts allowed around either side).
const COMPARISON = /\(?([A-Za-z_][\w$]*)\.("(?:[^"]|"")+"|[A-Za-z_][\w$]*)\)?(?:::[\w ]+)?\s*(=|<>|<=|>=|<|>)\s*\(?\$(\d+)\b|\$(\d+)\)?(?:::[\w ]+)?\s*(=|<>|<=|>=|<|>)\s*\(?([A-Za-z_][\w$]*)\.("(?:[^"]|"")+"|[A-Za-z_][\w$]*)/g;
const FLIP: Record<string, string> = { '<': '>', '>': '<', '<=': '>=', '>=': '<=', '=': '=', '<>': '<>' };

const STATS_SQL = `
select coalesce(histogram_bounds::text::text[], '{}') as bounds, coalesce(most_common_vals::text::text[], '{}') as common
  from pg_stats where schemaname = $1 and tablename = $2 and attname = $3`;

/**
 * Representative parameter sets for a statement, from its generic plan: each `$n` is matched to
 * the column it is compared with, and values are drawn from that column's statistics (its most
 * common values for `=`, its histogram bounds otherwise, a lower bound for `>`/`>=` and the next
 * bound for `<`/`<=`, so a range is never empty). Null when a parameter's column cannot be found
 * (then the statement is not measured).
 */
export async function parameterSets(c: pg.Client, text: string, plan: PlanNode, sets: number): Promise<string[][] | null> {
  const n = (text.match(/\$(\d+)/g) ?? []).reduce((max, p) => Math.max(max, Number(p.slice(1))), 0);
  if (n === 0) return [[]];
  const aliases = new Map<string, { schema: string; table: string }>();
  const expressions: string[] = [];
  const walk = (node: PlanNode): void => {
    if (node['Relation Name'] && node.Schema) aliases.set(node.Alias ?? node['Relation Name'], { schema: node.Schema, table: node['Relation Name'] });
    for (const k of EXPRESSIONS) if (typeof node[k] === 'string') expressions.push(node[k] as string);
    for (const child of node.Plans ?? []) walk(child);
  };
  walk(plan);
  const params = new Map<number, { schema: string; table: string; column: string; op: string }>();
  for (const e of expressions) {
    for (const m of e.matchAll(COMPARISON)) {
      const [alias, col, op, p] = m[1] ? [m[1], m[2]!, m[3]!, m[4]!] : [m[7]!, m[8]!, FLIP[m[6]!]!, m[5]!];
      const rel = aliases.get(alias);
      if (rel && !params.has(Number(p))) params.set(Number(p), { ...rel, column: col.startsWith('"') ? col.slice(1, -1).replace(/""/g, '"') : col, op });
    }
  }
  const values: string[][] = [];
  for (let p = 1; p <= n; p++) {
    const ref = params.get(p);
    if (!ref) return null;
    const s = (await c.query<{ bounds: string[]; common: string[] }>(STATS_SQL, [ref.schema, ref.table, ref.column])).rows[0];
    if (!s) return null;
    const pool = ref.op === '=' && s.common.length > 0 ? s.common : s.bounds.length > 0 ? s.bounds : s.common;
    if (pool.length === 0) return null;
    // Spread the sets over the pool; a range's upper end takes the next bound after its lower end.
    const pick = (k: number) => {
      const i = Math.floor(((k + 0.5) * (pool.length - 1)) / sets);
      return pool[Math.min(pool.length - 1, ref.op.startsWith('<') ? i + 1 : i)]!;
    };
    values.push(Array.from({ length: sets }, (_, k) => pick(k)));
  }
  return Array.from({ length: sets }, (_, k) => values.map((v) => v[k]!));
}

/**
 * Measures each statement's server-side time (planning + execution from EXPLAIN (ANALYZE,
 * TIMING OFF)), `runs` times per parameter set in a READ ONLY transaction with custom plans:
 * the fastest run of each set counts (noise on a loaded machine only ever adds time), and the
 * statement's figure is the mean over its sets, in milliseconds.
 */
export async function measureStatements(c: pg.Client, statements: readonly MeasurableStatement[], runs: number, signal?: AbortSignal): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  await c.query('begin read only');
  try {
    await c.query("set local plan_cache_mode = 'force_custom_plan'");
    for (const s of statements) {
      if (signal?.aborted) break;
      // A statement that fails here (a drawn value its cast rejects, a write in a WITH) is left out, not fatal.
      await c.query('savepoint measure');
      try {
        out.set(s.statement, await measureOne(c, s, runs));
        await c.query('release savepoint measure');
      } catch {
        await c.query('rollback to savepoint measure');
        await c.query('deallocate pgcluster_measure').catch(() => undefined);
      }
    }
  } finally {
    await c.query('rollback').catch(() => undefined);
  }
  return out;
}

async function measureOne(c: pg.Client, s: MeasurableStatement, runs: number): Promise<number> {
  await c.query(`prepare pgcluster_measure as ${s.text}`);
  try {
    let total = 0;
    for (const set of s.parameterSets) {
      const args = set.length ? `(${set.map((v) => c.escapeLiteral(v)).join(', ')})` : '';
      let best = Number.POSITIVE_INFINITY;
      for (let r = 0; r < runs; r++) {
        const res = await c.query<{ 'QUERY PLAN': { 'Planning Time': number; 'Execution Time': number }[] }>(`explain (analyze, timing off, format json) execute pgcluster_measure${args}`);
        const p = res.rows[0]!['QUERY PLAN'][0]!;
        best = Math.min(best, p['Planning Time'] + p['Execution Time']);
      }
      total += best;
    }
    return total / Math.max(1, s.parameterSets.length);
  } finally {
    // PREPARE is not undone by a rollback: always deallocate (in a failed transaction it waits for the savepoint's rollback).
    await c.query('deallocate pgcluster_measure').catch(() => undefined);
  }
}
