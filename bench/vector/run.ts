/**
 * `pnpm bench:vector` — @pgcluster/vector against raw baselines, in one run on its own cluster.
 *
 * - insert_vs_copy: insertVectors (binary COPY, onConflict 'error') of 100,000 × 384 vs
 *   `psql \copy … FROM file (FORMAT binary)` of the same rows (the file is PostgreSQL's own binary
 *   COPY output of the table ours loaded). Throughput, best of BENCH_INSERT_RUNS (2) each, interleaved.
 * - insert_upsert_vs_copy: the default upsert mode (staging table + INSERT … ON CONFLICT) vs the same psql figure.
 * - insert_vs_rowwise: vs row-by-row parameterised INSERT (pgvector-node README style), measured on
 *   BENCH_ROWWISE_ROWS (10,000) rows — rows/s, so the ratio holds for any size.
 * - insert_peak_rss_mb: peak RSS of a child process streaming BENCH_RSS_ROWS (300,000) × 384 from an
 *   .fvecs file; also the 100,000-row figure to show it stays flat.
 * - search_qps_vs_pg / search_recall_at_10: 8 clients, ef_search tuned for recall@10 ≥ 0.95, searchVectors vs
 *   a raw pg.Pool running the identical SQL text and parameters (the binary query vector) in the same
 *   transaction, written the plain way: BEGIN; set_config(…); SELECT; COMMIT — four round trips, unnamed
 *   statements, prebuilt (no per-call vector encoding or SQL building, which ours pays).
 * - search_qps_vs_pg_same_protocol: the same, but raw pg also sends what ours sends on the wire (one
 *   round trip: set_config(…) and the SELECT as a named prepared statement pipelined before one Sync, one
 *   implicit transaction — through the exported pipelinedQuery helper), so the ratio is the library's own
 *   per-call overhead (collection lookup, vector encoding, SQL building, result mapping).
 * - tuned vs default 40 vs balanced (ef_search 200): recall@10 and QPS on held-out queries.
 * - tune_held_out_recall_min: whether tune's promise holds on new queries of another distribution (tune-promise.ts).
 *
 * BENCH_ONLY=tune runs only tune_held_out_recall_min (bench/results/vector-tune.json).
 * BENCH_ONLY=insert runs only insert_vs_copy (and writes bench/results/vector-insert.json): each run
 * also prints CPU time per row of this node process, of its psql child, and of the server (all the
 * postmaster's children, live or reaped), the figures that resist a loaded machine.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeSync, closeSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startCluster } from '@pgcluster/testing';
import {
  createCollection,
  createIndex,
  embeddingSpace,
  insertVectors,
  measureConcurrent,
  openVectorDb,
  pipelinedQuery,
  recallAtK,
  runInTransaction,
  searchStatements,
  searchVectors,
  tuneEfSearch,
  getCollection,
  type GeneratedRow,
} from '@pgcluster/vector';
import pg from 'pg';
import { metric, writeReport, type Metric } from '../lib/report';
import { measureTunePromise } from './tune-promise';

const N = Number(process.env['BENCH_ROWS'] ?? 100_000);
const DIM = 384;
const ROWWISE = Number(process.env['BENCH_ROWWISE_ROWS'] ?? 10_000);
const RSS_ROWS = Number(process.env['BENCH_RSS_ROWS'] ?? 300_000);
const INSERT_RUNS = Number(process.env['BENCH_INSERT_RUNS'] ?? 2);
const SEARCHES = Number(process.env['BENCH_SEARCHES'] ?? 1500);
const SEARCH_ROUNDS = Number(process.env['BENCH_SEARCH_ROUNDS'] ?? 9);
const CLIENTS = 8;
const ONLY = process.env['BENCH_ONLY'];
const log = (s: string) => process.stderr.write(`[bench:vector] ${s}\n`);

const TABLE_DDL = (name: string) => `CREATE TABLE ${name} (key text NOT NULL, namespace text NOT NULL DEFAULT '', embedding vector(${DIM}) NOT NULL,
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb, created_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (namespace, key))`;

function psql(url: string, command: string): number {
  const t = performance.now();
  const r = spawnSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-qAtc', command], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`psql failed: ${r.stderr.slice(0, 300)}`);
  return performance.now() - t;
}

/** utime+stime (and, with `children`, reaped children's) of a process in ms, from /proc/<pid>/stat; undefined once it is gone. */
function procCpuMs(pid: number | 'self', children = false): { ppid: number; ms: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after "(comm) ": state ppid … utime(14) stime(15) cutime(16) cstime(17), in clock ticks (100/s).
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ').map(Number);
  const ticks = f[11]! + f[12]! + (children ? f[13]! + f[14]! : 0);
  return { ppid: f[1]!, ms: ticks * 10 };
}

/** The server's CPU time so far: the postmaster's live children plus the ones it reaped (psql's backend), and the live children's pids. */
function serverCpuMs(postmaster: number): { ms: number; children: Set<number> } {
  let ms = procCpuMs(postmaster, true)?.ms ?? 0;
  const children = new Set<number>();
  for (const d of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(d)) continue;
    const p = procCpuMs(Number(d));
    if (p?.ppid !== postmaster) continue;
    ms += p.ms;
    children.add(Number(d));
  }
  return { ms, children };
}

/**
 * A consistent reading of {@link serverCpuMs}: one taken while no child exits (a child reaped between
 * reading the postmaster's reaped total and scanning /proc would be missed), after the children
 * started since `before`, if given (a finished psql's backend, which outlives psql by a moment), are gone.
 */
async function settledServerCpuMs(postmaster: number, before?: Set<number>): Promise<{ ms: number; children: Set<number> }> {
  let prev = serverCpuMs(postmaster);
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 20));
    const s = serverCpuMs(postmaster);
    const same = s.children.size === prev.children.size && [...s.children].every((pid) => prev.children.has(pid));
    if (same && (before === undefined || [...s.children].every((pid) => before.has(pid)))) return s;
    prev = s;
  }
  return prev;
}

function writeFvecs(file: string, rows: Iterable<GeneratedRow>): void {
  const fd = openSync(file, 'w');
  const rec = Buffer.alloc(4 + 4 * DIM);
  let chunk: Buffer[] = [];
  for (const r of rows) {
    rec.writeInt32LE(DIM, 0);
    for (let j = 0; j < DIM; j++) rec.writeFloatLE(r.embedding[j]!, 4 + 4 * j);
    chunk.push(Buffer.from(rec));
    if (chunk.length === 4096) {
      writeSync(fd, Buffer.concat(chunk));
      chunk = [];
    }
  }
  if (chunk.length) writeSync(fd, Buffer.concat(chunk));
  closeSync(fd);
}

async function main(): Promise<void> {
  const started = performance.now();
  const cluster = await startCluster({ replicas: 0, fast: true, extensions: ['vector'], log: (l) => log(l) });
  const dir = mkdtempSync(join(tmpdir(), 'pgcluster-bench-vector-'));
  const url = cluster.url();
  const metrics: Metric[] = [];
  const db = await openVectorDb({ primaryUrl: url, poolSize: CLIENTS + 2 });
  const raw = new pg.Pool({ connectionString: url, max: CLIENTS });
  try {
    if (ONLY === 'tune') {
      metrics.push(...(await measureTunePromise(db, log)));
      const version = (await db.primary.query<{ v: string }>('show server_version')).rows[0]!.v;
      writeReport('vector-tune', version, metrics);
      return;
    }
    const space = embeddingSpace({ dimension: DIM, clusters: 100, seed: 42 });
    log(`generating ${N} × ${DIM} clustered, normalised vectors`);
    const rows = [...space.rows(N)];
    await createCollection(db, { name: 'bench', dimension: DIM });

    // ---- insert: ours vs psql \copy binary -----------------------------------------------
    const binFile = join(dir, 'bench.copy');
    const backend = (await db.primary.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const postmaster = procCpuMs(backend)!.ppid;
    // CPU µs per row: this process (ours) or its psql child, and the server.
    const usPerRow = (ms: number) => ((ms * 1000) / N).toFixed(1);
    let oursBest = Infinity;
    let psqlBest = Infinity;
    for (let run = 0; run < INSERT_RUNS; run++) {
      psql(url, 'TRUNCATE bench');
      psql(url, 'CHECKPOINT');
      const server0 = (await settledServerCpuMs(postmaster)).ms;
      const cpu0 = process.cpuUsage();
      const r = await insertVectors(db, 'bench', rows, { onConflict: 'error' });
      const cpu = process.cpuUsage(cpu0);
      const oursServer = (await settledServerCpuMs(postmaster)).ms - server0;
      oursBest = Math.min(oursBest, r.durationMs);
      log(`ours (binary COPY): ${r.rowsPerSecond} rows/s (${r.durationMs} ms); CPU µs/row: node ${usPerRow((cpu.user + cpu.system) / 1000)}, server ${usPerRow(oursServer)}`);
      if (run === 0) psql(url, `\\copy bench (key, namespace, embedding, metadata) TO '${binFile}' (FORMAT binary)`);
      psql(url, `DROP TABLE IF EXISTS bench_copy; ${TABLE_DDL('bench_copy')}`);
      psql(url, 'CHECKPOINT');
      const psqlServer0 = await settledServerCpuMs(postmaster);
      const child0 = procCpuMs('self', true)!.ms - procCpuMs('self')!.ms;
      const ms = psql(url, `\\copy bench_copy (key, namespace, embedding, metadata) FROM '${binFile}' (FORMAT binary)`);
      const psqlCpu = procCpuMs('self', true)!.ms - procCpuMs('self')!.ms - child0;
      const psqlServer = (await settledServerCpuMs(postmaster, psqlServer0.children)).ms - psqlServer0.ms;
      psqlBest = Math.min(psqlBest, ms);
      log(
        `psql \\copy binary: ${Math.round((N * 1000) / ms)} rows/s (${Math.round(ms)} ms, ${Math.round(statSync(binFile).size / 1048576)} MB file); CPU µs/row: psql ${usPerRow(psqlCpu)}, server ${usPerRow(psqlServer)}`,
      );
    }
    const oursRps = (N * 1000) / oursBest;
    const psqlRps = (N * 1000) / psqlBest;
    metrics.push(metric('insert_vs_copy', 'rows/s', 'higher-is-better', oursRps, { name: 'psql \\copy (FORMAT binary)', value: psqlRps }, '>= 0.9x raw binary COPY'));
    if (ONLY === 'insert') {
      const version = (await db.primary.query<{ v: string }>('show server_version')).rows[0]!.v;
      writeReport('vector-insert', version, metrics);
      return;
    }

    psql(url, 'TRUNCATE bench');
    const up = await insertVectors(db, 'bench', rows, { onConflict: 'update' });
    log(`ours (upsert via staging): ${up.rowsPerSecond} rows/s`);
    metrics.push(metric('insert_upsert_vs_copy', 'rows/s', 'higher-is-better', (N * 1000) / up.durationMs, { name: 'psql \\copy (FORMAT binary)', value: psqlRps }, 'informational (upsert does more work)'));

    // ---- row-by-row INSERT ---------------------------------------------------------------
    psql(url, `DROP TABLE IF EXISTS bench_rows; ${TABLE_DDL('bench_rows')}`);
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const t0 = performance.now();
    for (let i = 0; i < ROWWISE; i++) {
      const r = rows[i]!;
      await c.query('INSERT INTO bench_rows (key, embedding, metadata) VALUES ($1, $2, $3)', [r.key, `[${Array.from(r.embedding).join(',')}]`, JSON.stringify(r.metadata)]);
    }
    const rowwiseRps = (ROWWISE * 1000) / (performance.now() - t0);
    await c.end();
    log(`row-by-row INSERT: ${Math.round(rowwiseRps)} rows/s (on ${ROWWISE} rows)`);
    metrics.push(metric('insert_vs_rowwise', 'rows/s', 'higher-is-better', oursRps, { name: `row-by-row INSERT (${ROWWISE} rows)`, value: rowwiseRps }, '>= 20x row-by-row'));
    psql(url, 'DROP TABLE bench_rows; DROP TABLE bench_copy');

    // ---- peak RSS streaming from a file (child process) -----------------------------------
    const child = resolve(__dirname, 'insert-file-child.ts');
    const rss: Record<number, number> = {};
    for (const count of [...new Set([100_000, RSS_ROWS])]) {
      const file = join(dir, `rss-${count}.fvecs`);
      log(`writing ${count} × ${DIM} to ${file}`);
      writeFvecs(file, space.rows(count, { seed: 77 }));
      await createCollection(db, { name: `rss_${count}`, dimension: DIM });
      const tsx = resolve(__dirname, '../../node_modules/.bin/tsx');
      const out = spawnSync(tsx, [child, url, `rss_${count}`, file], { encoding: 'utf8', maxBuffer: 1 << 20 });
      if (out.status !== 0) throw new Error(`insert child failed: ${out.stderr.slice(0, 500)}`);
      const res = JSON.parse(out.stdout.trim().split('\n').pop()!) as { rows: number; rowsPerSecond: number; peakRssMb: number; rssSamplesMb: number[] };
      rss[count] = res.peakRssMb;
      log(`file insert of ${res.rows} rows: ${res.rowsPerSecond} rows/s, peak RSS ${Math.round(res.peakRssMb)} MB, RSS samples ${res.rssSamplesMb.join(', ')} MB`);
      psql(url, `DROP TABLE rss_${count}`);
      rmSync(file);
    }
    metrics.push(metric('insert_peak_rss_mb', 'MB', 'lower-is-better', rss[RSS_ROWS]!, null, `< 256 MB, flat (${RSS_ROWS} rows streamed from .fvecs; 100000 rows: ${Math.round(rss[100_000]!)} MB)`));

    // ---- search ---------------------------------------------------------------------------
    psql(url, 'VACUUM ANALYZE bench');
    log('building the HNSW index (speed profile: m 16, ef_construction 100)');
    const idx = await createIndex(db, { collection: 'bench', profile: 'speed', concurrently: false });
    log(`index built in ${idx.durationMs} ms (${Math.round(idx.sizeBytes / 1048576)} MB, maintenance_work_mem ${idx.maintenanceWorkMem}, ${idx.parallelWorkers} workers)`);
    metrics.push(metric('hnsw_build_seconds', 's', 'lower-is-better', idx.durationMs / 1000, null, 'informational (m 16, ef_construction 100)'));
    const tune = await tuneEfSearch(db, { collection: 'bench', targetRecall: 0.95, k: 10 });
    log(`tuned: ef_search ${tune.efSearch} → recall@10 ${tune.recall}, 95% lower bound ${tune.recallLowerBound} on ${tune.sampleSize} sample queries (${tune.curve.map((p) => `${p.efSearch}:${p.recall}/${p.recallLowerBound}`).join(' ')})`);
    const info = await getCollection(db, 'bench', { fresh: true });
    const held = space.queries(100, 4242);
    const exact: string[][] = [];
    for (const q of held) {
      const s = searchStatements(info, { vector: q, k: 10 });
      // Unnamed: planned afresh with index scans off, never from a prepared statement's cache.
      const r = await runInTransaction(db.primary, 'exact', { text: "SELECT set_config('enable_indexscan', 'off', true)" }, { text: s.query.text, values: s.query.values });
      exact.push(r.map((x) => x.key));
    }
    const recallAt = async (ef: number) => {
      let sum = 0;
      for (const [i, q] of held.entries()) {
        const r = await searchVectors(db, { collection: 'bench', vector: q, k: 10, efSearch: ef, readFrom: 'primary' });
        sum += recallAtK(exact[i]!, r.matches.map((m) => m.key), 10);
      }
      return sum / held.length;
    };
    const ours = (ef: number, n = SEARCHES) => measureConcurrent(n, CLIENTS, (i) => searchVectors(db, { collection: 'bench', vector: held[i % held.length]!, k: 10, efSearch: ef, readFrom: 'primary' }));
    const rawRun = (ef: number, n = SEARCHES) => {
      const statements = held.map((q) => searchStatements(info, { vector: q, k: 10, efSearch: ef }));
      return measureConcurrent(n, CLIENTS, async (i) => {
        const s = statements[i % statements.length]!;
        const client = await raw.connect();
        try {
          await client.query('BEGIN');
          await client.query(s.settings.text);
          await client.query(s.query.text, s.query.values as unknown[]);
          await client.query('COMMIT');
        } finally {
          client.release();
        }
      });
    };
    const rawSameProtocol = (ef: number, n = SEARCHES) => {
      const statements = held.map((q) => searchStatements(info, { vector: q, k: 10, efSearch: ef }));
      return measureConcurrent(n, CLIENTS, async (i) => {
        const s = statements[i % statements.length]!;
        const client = await raw.connect();
        try {
          await pipelinedQuery(client, s.settings.text, { name: s.query.name, text: s.query.text, values: s.query.values ?? [] });
        } finally {
          client.release();
        }
      });
    };
    // Our figure includes encoding the vector and building the SQL per call; raw pg gets them prebuilt.
    await ours(tune.efSearch);
    await rawRun(tune.efSearch); // warm-up
    await rawSameProtocol(tune.efSearch);
    const oq: number[] = [];
    const rq: number[] = [];
    const sq: number[] = [];
    // SEARCH_ROUNDS short rounds (SEARCHES / 3 searches each, so the same total work as three long
    // ones), the order rotated every round, each side's median: on this shared 2-core machine the load
    // drifts within seconds, and fine interleaving keeps a drift from landing on one side only.
    const runs: [number[], (ef: number, n: number) => Promise<{ qps: number }>][] = [
      [oq, ours],
      [rq, rawRun],
      [sq, rawSameProtocol],
    ];
    for (let i = 0; i < SEARCH_ROUNDS; i++) {
      for (let j = 0; j < runs.length; j++) {
        const [out, run] = runs[(i + j) % runs.length]!;
        out.push((await run(tune.efSearch, Math.round(SEARCHES / 3))).qps);
      }
    }
    const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
    const recallTuned = await recallAt(tune.efSearch);
    log(`search at ef_search ${tune.efSearch}, ${SEARCH_ROUNDS} rounds: ours ${oq.map(Math.round).join(', ')} QPS; raw pg ${rq.map(Math.round).join(', ')} QPS; raw pg same protocol ${sq.map(Math.round).join(', ')} QPS; held-out recall@10 ${recallTuned.toFixed(3)}`);
    metrics.push(
      metric(
        'search_qps_vs_pg',
        'QPS',
        'higher-is-better',
        med(oq),
        { name: 'raw pg, identical SQL and binary vector, settings local to the query\'s transaction: BEGIN; set_config; SELECT; COMMIT (4 round trips, unnamed), prebuilt', value: med(rq) },
        `>= 0.95x raw at recall@10 >= 0.95 (ef_search ${tune.efSearch}, ${CLIENTS} clients)`,
      ),
    );
    metrics.push(
      metric(
        'search_qps_vs_pg_same_protocol',
        'QPS',
        'higher-is-better',
        med(oq),
        { name: 'raw pg, identical SQL sent as ours does: set_config + named prepared SELECT pipelined in one round trip; prebuilt', value: med(sq) },
        'informational: the library’s own per-call overhead',
      ),
    );
    metrics.push(metric('search_recall_at_10', 'recall', 'higher-is-better', recallTuned, null, '>= 0.95 (100 held-out queries)'));

    // ---- tuned vs default 40 vs balanced --------------------------------------------------
    for (const [id, ef] of [['tuned', tune.efSearch], ['default_40', 40], ['balanced_200', 200]] as const) {
      const rec = await recallAt(ef);
      const m = await ours(ef);
      log(`${id} (ef_search ${ef}): recall@10 ${rec.toFixed(3)}, ${m.qps} QPS, p50 ${m.p50Ms} ms, p95 ${m.p95Ms} ms, p99 ${m.p99Ms} ms`);
      metrics.push(metric(`recall_at_10_${id}`, 'recall', 'higher-is-better', rec, null, `ef_search ${ef}`));
      metrics.push(metric(`search_qps_${id}`, 'QPS', 'higher-is-better', m.qps, null, `ef_search ${ef}, ${CLIENTS} clients, p50/p95/p99 ${m.p50Ms}/${m.p95Ms}/${m.p99Ms} ms`));
    }
    metrics.push(...(await measureTunePromise(db, log)));
    const version = (await db.primary.query<{ v: string }>('show server_version')).rows[0]!.v;
    writeReport('vector', version, metrics);
    log(`finished in ${Math.round((performance.now() - started) / 1000)} s`);
  } finally {
    await raw.end().catch(() => undefined);
    await db.close();
    await cluster.stop({ purge: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:vector failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
