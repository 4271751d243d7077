/**
 * `pnpm bench:monitoring`: `pgcluster monitoring-health` (every check of the catalogue, every
 * node) against check_postgres (Debian `check-postgres`) running its equivalent actions —
 * backends, txn_idle, txn_time, locks, txn_wraparound, autovac_freeze, bloat, last_vacuum,
 * last_analyze, sequence, replication_slots, hot_standby_delay, hitratio — on the same 3-node
 * cluster with 200 tables. Both as fresh processes, nodes in parallel and actions one after
 * another per node, interleaved, in one run. Also counts the statements each sends (through
 * pg_stat_statements) and checks our cost on the server: the strongest lock our backends hold
 * (sampled from pg_locks) and our slowest statement.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startCluster, type ClusterHandle } from '@pgcluster/testing';
import pg from 'pg';
import { median, metric, writeReport } from '../lib/report';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);
const TABLES = Number(process.env['BENCH_TABLES'] ?? 200);
const CLI = resolve(__dirname, '../../apps/cli/bin/pgcluster.js');
// Every catalogue check; pgbouncer_pool_saturated among them is skipped here (no PgBouncer in this cluster).
const OUR_CHECKS = 40;
const PER_NODE_ACTIONS: ReadonlyArray<[string, string[]]> = [
  ['backends', []],
  ['txn_idle', ['--warning=300', '--critical=900']],
  ['txn_time', ['--warning=300', '--critical=900']],
  ['locks', []],
  ['txn_wraparound', []],
  ['autovac_freeze', []],
  ['bloat', []],
  ['last_vacuum', []],
  ['last_analyze', []],
  ['sequence', []],
  ['replication_slots', ['--warning=1048576', '--critical=1073741824']],
  ['hitratio', ['--warning=90%', '--critical=80%']],
];

interface Target {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

function targetOf(url: string): Target {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password), database: u.pathname.slice(1) };
}

function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** An answer is OK, WARNING, CRITICAL or UNKNOWN about the database (e.g. "no table was ever vacuumed"), not a failure to run. */
function expectAnswer(r: { code: number | null; stdout: string; stderr: string }, action: string, i: number): void {
  if (r.code === null || r.code > 3 || !/^POSTGRES_[A-Z_]+ (OK|WARNING|CRITICAL|UNKNOWN)/.test(r.stdout) || /could not connect|password authentication failed/i.test(r.stdout)) {
    throw new Error(`check_postgres ${action} on node${i + 1} failed (exit ${r.code}): ${(r.stdout + r.stderr).slice(0, 300)}`);
  }
}

/** check_postgres: every node in parallel, its actions one after another (the password through PGPASSWORD only). */
async function checkPostgres(cluster: ClusterHandle): Promise<void> {
  const [primary, ...replicas] = cluster.nodes.map((n) => targetOf(n.url()));
  const env = { ...process.env, PGPASSWORD: primary!.password };
  const common = (t: Target) => [`--dbuser=${t.user}`, `--dbname=${t.database}`];
  await Promise.all(
    [primary!, ...replicas].map(async (t, i) => {
      for (const [action, extra] of PER_NODE_ACTIONS) {
        const r = await run('check_postgres', [`--action=${action}`, `--host=${t.host}`, `--port=${t.port}`, ...common(t), ...extra], { env });
        expectAnswer(r, action, i);
      }
      if (i > 0) {
        const args = ['--action=hot_standby_delay', `--dbhost=${primary!.host},${t.host}`, `--dbport=${primary!.port},${t.port}`, ...common(t), "--warning=1048576 and 2 min", "--critical=16777216 and 10 min"];
        const r = await run('check_postgres', args, { env });
        expectAnswer(r, 'hot_standby_delay', i);
      }
    }),
  );
}

async function ours(dir: string): Promise<void> {
  const r = await run(process.execPath, [CLI, 'monitoring-health', '--format', 'json'], { cwd: dir });
  const out = JSON.parse(r.stdout) as { skill: string; data: { counts: { checks: number } } };
  if (out.skill !== 'monitoring-health' || out.data.counts.checks !== OUR_CHECKS) throw new Error(`monitoring-health failed (exit ${r.code}): ${r.stderr.slice(0, 300)}`);
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const started = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** Statements the nodes executed while `fn` ran (pg_stat_statements, reset first; our own bookkeeping left out). */
async function countStatements(clients: pg.Client[], fn: () => Promise<void>): Promise<{ calls: number; maxMs: number }> {
  for (const c of clients) await c.query('select pg_stat_statements_reset()');
  await fn();
  let calls = 0;
  let maxMs = 0;
  for (const c of clients) {
    const r = await c.query<{ calls: string; max_ms: number }>(
      "select coalesce(sum(calls), 0) as calls, coalesce(max(max_exec_time), 0) as max_ms from pg_stat_statements where query !~* 'pg_stat_statements'",
    );
    calls += Number(r.rows[0]!.calls);
    maxMs = Math.max(maxMs, r.rows[0]!.max_ms);
  }
  return { calls, maxMs };
}

/** Samples the lock modes our health backends hold until `fn` ends. */
async function lockModes(client: pg.Client, fn: () => Promise<void>): Promise<Set<string>> {
  const modes = new Set<string>();
  let done = false;
  const sampler = (async () => {
    while (!done) {
      const r = await client.query<{ mode: string }>(
        `select distinct l.mode from pg_locks l join pg_stat_activity a on a.pid = l.pid
          where a.application_name = 'pgcluster-health' and l.locktype not in ('virtualxid', 'transactionid')`,
      );
      for (const row of r.rows) modes.add(row.mode);
    }
  })();
  try {
    await fn();
  } finally {
    done = true;
    await sampler;
  }
  return modes;
}

async function main(): Promise<void> {
  const cluster = await startCluster({ replicas: 2, log: (line) => process.stderr.write(`${line}\n`) });
  const dir = mkdtempSync(join(tmpdir(), 'pgcluster-bench-monitoring-'));
  const clients = cluster.nodes.map((n) => new pg.Client({ connectionString: n.url() }));
  try {
    await Promise.all(clients.map((c) => c.connect()));
    const primary = clients[0]!;
    await primary.query('create extension if not exists pg_stat_statements');
    for (let i = 0; i < TABLES; i += 1) {
      await primary.query(`create table t${i} (id serial primary key, a int, note text, embedding vector(3))`);
      await primary.query(`create index t${i}_a on t${i} (a)`);
      await primary.query(`insert into t${i} (a, note, embedding) select g, 'n' || g, '[1,2,3]' from generate_series(1, 100) g`);
    }
    await primary.query('vacuum analyze');
    writeFileSync(join(dir, 'pgcluster.config.json'), JSON.stringify({ name: 'bench', nodes: cluster.nodes.map((n) => ({ name: n.name, url: n.url() })) }), { mode: 0o600 });

    // Warm both once (OS file cache, server catalog caches).
    await ours(dir);
    await checkPostgres(cluster);
    const oursMs: number[] = [];
    const theirsMs: number[] = [];
    for (let i = 0; i < RUNS; i += 1) {
      oursMs.push(await timed(() => ours(dir)));
      theirsMs.push(await timed(() => checkPostgres(cluster)));
    }
    const oursCount = await countStatements(clients, () => ours(dir));
    const theirsCount = await countStatements(clients, () => checkPostgres(cluster));
    const watcher = new pg.Client({ connectionString: cluster.nodes[0]!.url() });
    await watcher.connect();
    const modes = await lockModes(watcher, () => ours(dir)).finally(() => watcher.end());
    const stronger = [...modes].filter((m) => m !== 'AccessShareLock');
    console.log(`lock modes held by monitoring-health backends: ${[...modes].join(', ') || '(none sampled)'}`);

    const version = (await primary.query<{ v: string }>("select current_setting('server_version') as v")).rows[0]!.v;
    writeReport('monitoring', version, [
      metric('health_wall_time', 'ms', 'lower-is-better', median(oursMs), { name: `check_postgres (${PER_NODE_ACTIONS.length + 1} actions, 3 nodes)`, value: median(theirsMs) }, 'ratio >= 5'),
      metric('health_server_statements', 'statements', 'lower-is-better', oursCount.calls, { name: 'check_postgres', value: theirsCount.calls }, 'fewer than the baseline'),
      metric('health_checks', 'checks', 'higher-is-better', OUR_CHECKS, { name: 'check_postgres actions', value: PER_NODE_ACTIONS.length + 1 }, 'more checks than the baseline'),
      metric('health_slowest_statement', 'ms', 'lower-is-better', oursCount.maxMs, null, '< 1000 ms'),
      metric('health_locks_stronger_than_access_share', 'modes', 'lower-is-better', stronger.length, null, '0'),
    ]);
    if (stronger.length > 0 || oursCount.maxMs >= 1000) process.exitCode = 1;
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    rmSync(dir, { recursive: true, force: true });
    await cluster.stop({ purge: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 2;
});
