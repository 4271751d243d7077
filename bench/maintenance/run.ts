/**
 * `pnpm bench:maintenance`: the index advisor (maintenance-optimize) against an oracle on a
 * seeded workload. Tables customers, orders and items (default 20k / 200k / 100k rows; `--full`
 * or BENCH_FULL=1: 100k / 1M / 500k) and eight statements: selective filters, a join, a range
 * scan, a sort with LIMIT, a range with GROUP BY, and three already well indexed (primary key,
 * unique). Each runs enough times to fill pg_stat_statements; then the workload's time is
 * measured (each statement with fixed parameter sets, the fastest of 5 runs (25 below 2 ms), the median over the sets, × its calls):
 * before, after the advisor's indexes, and after the oracle's — the best subset of the advisor's
 * own candidates by exhaustive search (hypopg costs of every subset, the cheapest built for
 * real). Prints advisor improvement ÷ oracle improvement (goal ≥ 90%), statements slower by more
 * than 10% (goal 0), the advisor's wall time (goal within its 30 s budget) and its own server time
 * (pg_stat_statements over its run).
 */
import { loadavg } from 'node:os';
import { execFileSync } from 'node:child_process';
import { adviseIndexes } from '@pgcluster/maintenance';
import { ClusterConfig } from '@pgcluster/core';
import { startCluster } from '@pgcluster/testing';
import pg from 'pg';
import { median, metric, writeReport } from '../lib/report';

const FULL = process.argv.includes('--full') || process.env['BENCH_FULL'] === '1';
const SIZE = FULL ? { customers: 100_000, orders: 1_000_000, items: 500_000 } : { customers: 20_000, orders: 200_000, items: 100_000 };
const CALLS = Number(process.env['BENCH_CALLS'] ?? 30);
const SETS = 6;
const RUNS = 5;
const FAST_RUNS = 25;
/** The oracle enumerates every subset of at most this many candidates (the best by their own gain). */
const ORACLE_MAX = 11;
/** A statement counts as slower when it is > 10% and > this many ms slower (below: a loaded machine's jitter). */
const NOISE_FLOOR_MS = 0.25;

/** A deterministic PRNG (mulberry32), so every run draws the same parameters. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const BASE = Date.parse('2026-01-01T00:00:00Z');
const int = (r: () => number, n: number) => 1 + Math.floor(r() * n);
const hour = (r: () => number) => {
  const start = BASE - int(r, SIZE.orders - 3600) * 1000;
  return [new Date(start).toISOString(), new Date(start + 3600_000).toISOString()];
};

interface Statement {
  name: string;
  text: string;
  params: (r: () => number) => unknown[];
  /** Already well indexed: the advisor should leave it alone. */
  indexed?: boolean;
}

const WORKLOAD: Statement[] = [
  { name: 'filter', text: 'select id, amount from orders where customer_id = $1', params: (r) => [int(r, SIZE.customers)] },
  { name: 'join', text: 'select o.id, o.amount from orders o join customers c on c.id = o.customer_id where c.email = $1', params: (r) => [`user${int(r, SIZE.customers)}@example.com`] },
  { name: 'range', text: 'select count(*) from orders where created_at >= $1 and created_at < $2', params: hour },
  { name: 'sort', text: 'select id, created_at from orders where status = $1 order by created_at desc limit 20', params: (r) => [int(r, 7) - 1] },
  { name: 'group', text: 'select category, count(*) from items where price >= $1 and price < $2 group by category', params: (r) => { const p = int(r, 990); return [p, p + 5]; } },
  { name: 'pk', text: 'select * from orders where id = $1', params: (r) => [int(r, SIZE.orders)], indexed: true },
  { name: 'unique', text: 'select * from items where sku = $1', params: (r) => [`sku-${int(r, SIZE.items)}`], indexed: true },
  { name: 'pk-join', text: 'select c.email from orders o join customers c on c.id = o.customer_id where o.id = $1', params: (r) => [int(r, SIZE.orders)], indexed: true },
];

async function seed(c: pg.Client): Promise<void> {
  await c.query('create table customers (id int primary key, email text not null, region int not null, created_at timestamptz not null)');
  await c.query(`insert into customers select i, 'user' || i || '@example.com', i % 50, now() - (i || ' minutes')::interval from generate_series(1, ${SIZE.customers}) i`);
  await c.query('create table orders (id int primary key, customer_id int not null, status int not null, amount numeric not null, created_at timestamptz not null, note text)');
  await c.query(
    `insert into orders select i, 1 + (hashint4(i) & 2147483647) % ${SIZE.customers}, i % 7, (i % 1000) / 10.0,
            timestamptz '2026-01-01 00:00:00+00' - (i || ' seconds')::interval, repeat('n', 40)
       from generate_series(1, ${SIZE.orders}) i`,
  );
  await c.query('create table items (id int primary key, sku text not null unique, category int not null, price numeric not null)');
  await c.query(`insert into items select i, 'sku-' || i, i % 40, (hashint4(i) & 2147483647) % 100000 / 100.0 from generate_series(1, ${SIZE.items}) i`);
  await c.query('vacuum analyze');
}

/**
 * Each statement with fixed parameter sets: the fastest of RUNS runs per set (noise only adds),
 * the median over the sets (one set hit by a load spike does not move it), in ms.
 */
async function measure(c: pg.Client): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const s of WORKLOAD) {
    const r = rng(7);
    const times: number[] = [];
    for (let k = 0; k < SETS; k++) {
      const params = s.params(r);
      let best = Number.POSITIVE_INFINITY;
      // Sub-millisecond statements are all scheduling noise on a loaded machine: more runs, the fastest counts.
      for (let i = 0; i < (best < 2 ? FAST_RUNS : RUNS); i++) {
        const t = performance.now();
        await c.query(s.text, params);
        best = Math.min(best, performance.now() - t);
      }
      times.push(best);
    }
    out.set(s.name, median(times));
  }
  return out;
}

const workloadMs = (m: Map<string, number>) => [...m.values()].reduce((a, v) => a + v * CALLS, 0);

/** Per statement, the planner's cost with the current (real and hypothetical) indexes, summed over 2 parameter sets. */
async function planCost(c: pg.Client): Promise<number[]> {
  const out: number[] = [];
  for (const s of WORKLOAD) {
    let total = 0;
    const r = rng(11);
    for (let k = 0; k < 2; k++) {
      const literals = s.params(r).map((v) => c.escapeLiteral(String(v)));
      await c.query(`prepare oracle_cost as ${s.text}`);
      const res = await c.query<{ 'QUERY PLAN': { Plan: { 'Total Cost': number } }[] }>(`explain (format json) execute oracle_cost(${literals.join(', ')})`);
      await c.query('deallocate oracle_cost');
      total += res.rows[0]!['QUERY PLAN'][0]!.Plan['Total Cost'];
    }
    out.push(total);
  }
  return out;
}

const sum = (xs: number[]) => xs.reduce((a, x) => a + x, 0);

/** The best subset of `candidates` by hypopg cost (within 0.5%: fewer indexes). */
async function oracle(c: pg.Client, candidates: string[]): Promise<{ best: string[]; subsets: number; pruned: number }> {
  const base = await planCost(c);
  // The pool keeps, for each statement, the two candidates the full set misses most without them
  // (so pairs that help only together, such as both sides of a join, stay in) and the one that
  // helps it most alone; at most ORACLE_MAX.
  const costWith = async (set: string[]) => {
    for (const sql of set) await c.query('select hypopg_create_index($1)', [sql]);
    const cost = await planCost(c);
    await c.query('select hypopg_reset()');
    return cost;
  };
  const all = await costWith(candidates);
  const aloneGain = new Map<string, number[]>();
  const missing = new Map<string, number[]>();
  for (const sql of candidates) {
    const alone = await costWith([sql]);
    const without = await costWith(candidates.filter((x) => x !== sql));
    aloneGain.set(sql, WORKLOAD.map((_, i) => base[i]! - alone[i]!));
    missing.set(sql, WORKLOAD.map((_, i) => without[i]! - all[i]!));
  }
  const top = (score: Map<string, number[]>, i: number, n: number) =>
    candidates.filter((x) => score.get(x)![i]! > 1e-6).sort((a, b) => score.get(b)![i]! - score.get(a)![i]!).slice(0, n);
  const picked = new Set<string>();
  for (let i = 0; i < WORKLOAD.length; i++) for (const sql of [...top(missing, i, 2), ...top(aloneGain, i, 1)]) picked.add(sql);
  const total = (sql: string) => sum(aloneGain.get(sql)!) + sum(missing.get(sql)!);
  const pool = [...picked].sort((a, b) => total(b) - total(a)).slice(0, ORACLE_MAX);
  let best = { cost: sum(base), set: [] as string[] };
  for (let mask = 1; mask < 1 << pool.length; mask++) {
    const set = pool.filter((_, i) => mask & (1 << i));
    const cost = sum(await costWith(set));
    // Half a percent of planner cost is noise: within it, the set with fewer indexes wins.
    if (cost < best.cost * 0.995 || (cost <= best.cost * 1.005 && set.length < best.set.length)) best = { cost, set };
  }
  return { best: best.set, subsets: (1 << pool.length) - 1, pruned: candidates.length - pool.length };
}

async function withIndexes<T>(c: pg.Client, statements: string[], fn: () => Promise<T>): Promise<T> {
  const names: string[] = [];
  for (const [i, sql] of statements.entries()) {
    const name = `bench_idx_${i}`;
    await c.query(sql.replace(/^CREATE INDEX (CONCURRENTLY )?ON/, `CREATE INDEX ${name} ON`));
    names.push(name);
  }
  try {
    return await fn();
  } finally {
    for (const n of names) await c.query(`drop index if exists ${n}`);
  }
}

async function main(): Promise<void> {
  const load = () => execFileSync('uptime').toString().trim();
  console.log(`load before: ${load()} (${FULL ? 'full' : 'default'} size: ${JSON.stringify(SIZE)}, ${CALLS} calls per statement)`);
  const cluster = await startCluster({ replicas: 0, fast: true, log: (l) => process.stderr.write(`${l}\n`) });
  const c = new pg.Client({ connectionString: cluster.url() });
  await c.connect();
  try {
    const version = (await c.query<{ v: string }>('show server_version')).rows[0]!.v;
    let t = performance.now();
    await seed(c);
    console.log(`seeded in ${Math.round(performance.now() - t)} ms`);
    await c.query('select pg_stat_statements_reset()');
    const r = rng(1);
    for (let i = 0; i < CALLS; i++) for (const s of WORKLOAD) await c.query(s.text, s.params(r));

    const before = await measure(c);

    // The advisor, timed, and its own cost on the server (nothing else runs in this cluster meanwhile).
    const serverMs = async () => (await c.query<{ ms: number }>('select coalesce(sum(total_exec_time + total_plan_time), 0)::float8 as ms from pg_stat_statements')).rows[0]!.ms;
    const config = ClusterConfig.parse({ name: 'bench', nodes: cluster.nodes.map((n) => ({ name: n.name, url: n.url() })) });
    const serverBefore = await serverMs();
    t = performance.now();
    const advice = await adviseIndexes(config, { top: 20, budgetSeconds: 30, minImprovement: 0.5, measureRuns: 5, unusedDays: 30 });
    const advisorWallMs = performance.now() - t;
    const advisorServerMs = (await serverMs()) - serverBefore;
    const advised = advice.recommendations.map((x) => x.statement);
    console.log(`advisor: ${advised.length} index(es) of ${advice.considered.length} candidates in ${Math.round(advisorWallMs)} ms:\n  ${advised.join('\n  ')}`);

    const afterAdvisor = await withIndexes(c, advised, () => measure(c));
    t = performance.now();
    const o = await oracle(c, advice.considered);
    console.log(`oracle: ${o.best.length} index(es) (${o.subsets} subsets, ${o.pruned} candidate(s) pruned, ${Math.round(performance.now() - t)} ms):\n  ${o.best.join('\n  ')}`);
    const afterOracle = await withIndexes(c, o.best, () => measure(c));

    const w0 = workloadMs(before);
    const wa = workloadMs(afterAdvisor);
    const wo = workloadMs(afterOracle);
    const advisorGain = (w0 - wa) / w0;
    const oracleGain = (w0 - wo) / w0;
    const slower = WORKLOAD.filter((s) => afterAdvisor.get(s.name)! > before.get(s.name)! * 1.1 && afterAdvisor.get(s.name)! - before.get(s.name)! > NOISE_FLOOR_MS);
    console.table(WORKLOAD.map((s) => ({ statement: s.name, indexed: s.indexed === true, beforeMs: round(before.get(s.name)!), advisorMs: round(afterAdvisor.get(s.name)!), oracleMs: round(afterOracle.get(s.name)!) })));
    const loadAfter = load();
    console.log(`load after: ${loadAfter}`);
    writeReport(FULL ? 'maintenance-full' : 'maintenance', version, [
      metric('workload-time-before', 'ms', 'lower-is-better', w0, null, 'the seeded workload without the missing indexes'),
      metric('workload-time-advisor', 'ms', 'lower-is-better', wa, { name: 'oracle (exhaustive over the same candidates)', value: wo }, 'close to the oracle'),
      metric('workload-improvement', '%', 'higher-is-better', 100 * advisorGain, { name: 'oracle', value: 100 * oracleGain }, 'the share of the workload time the indexes save'),
      metric('advisor-improvement-of-oracle', '%', 'higher-is-better', oracleGain > 0 ? (100 * advisorGain) / oracleGain : 100, null, '>= 90%'),
      metric('statements-slower-10pct', 'statements', 'lower-is-better', slower.length, null, '0'),
      metric('advisor-wall-time', 's', 'lower-is-better', advisorWallMs / 1000, { name: 'budget', value: 30 }, 'within its 30 s budget'),
      metric('advisor-server-time', 'ms', 'lower-is-better', advisorServerMs, null, 'its own statements on the server (pg_stat_statements)'),
      metric('load-average-1min', 'load', 'lower-is-better', loadavg()[0]!, null, 'context: 2 cores shared'),
    ]);
    if (slower.length) console.log(`slower by > 10%: ${slower.map((s) => s.name).join(', ')}`);
  } finally {
    await c.end();
    await cluster.stop({ purge: true });
  }
}

const round = (x: number) => Math.round(x * 1000) / 1000;

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
