/**
 * `pnpm bench:backup` — cluster-backup's library functions against plain pg_dump / pg_restore
 * of the same database, in one run on its own single-node cluster (DESIGN.md §7).
 *
 * - backup_vs_pg_dump: createBackup (logical: pg_dump -Fc, pg_restore --list, sha256, catalogue)
 *   vs `pg_dump -Fc -f file` alone. MB/s of the database's size (pg_database_size), median of
 *   BENCH_RUNS (3) interleaved runs.
 * - restore_vs_pg_restore: restoreBackup into a new database (verify: sha256 + pg_restore --list,
 *   CREATE DATABASE, pg_restore --exit-on-error) vs `createdb` + `pg_restore -d` of the same dump.
 * - physical_backup_vs_pg_basebackup: createBackup physical (pg_basebackup -X stream with SHA-256
 *   manifest, pg_verifybackup, catalogue) vs `pg_basebackup -X stream` alone. MB/s of the cluster.
 *
 * - pitr_restore_seconds: a point-in-time restore (verify, copy, WAL replay from the archive to a
 *   time, promotion) of BENCH_PITR_MB of data plus as much WAL (default 128; BENCH_PITR_FULL=1 for the
 *   issue's 1 GB + 1 GB) vs pgBackRest's own restore (`pgbackrest restore --type=time`, same replay
 *   and promotion) of a full backup of the same data with the same amount of WAL after it.
 *   BENCH_PITR=0 skips it.
 *
 * BENCH_ROWS (default 100,000) rows of (id, text, vector(64), jsonb) make up the database.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterConfig, withClient } from '@pgcluster/core';
import {
  createBackup,
  enableArchiving,
  pgbackrestBackup,
  restoreBackup,
  restorePgbackrestToPoint,
  switchAndWaitArchived,
  undoPhysicalRestore,
  type BackupContext,
} from '@pgcluster/operations';
import { libpqEnv, pgBinDir } from '@pgcluster/operations/pg-tools';
import { startCluster } from '@pgcluster/testing';
import { median, metric, writeReport } from '../lib/report';

const ROWS = Number(process.env['BENCH_ROWS'] ?? 100_000);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const PITR = process.env['BENCH_PITR'] !== '0';
const PITR_MB = process.env['BENCH_PITR_FULL'] === '1' ? 1024 : Number(process.env['BENCH_PITR_MB'] ?? 128);
const log = (s: string) => process.stderr.write(`[bench:backup] ${s}\n`);

function tool(program: string, args: string[], env: Record<string, string>): number {
  const t = performance.now();
  const r = spawnSync(join(pgBinDir(), program), args, { env: { ...process.env, ...env }, encoding: 'utf8', cwd: '/tmp' });
  if (r.status !== 0) throw new Error(`${program} failed: ${r.stderr.slice(0, 300)}`);
  return (performance.now() - t) / 1000;
}

async function main(): Promise<void> {
  const started = Date.now();
  const cluster = await startCluster({ replicas: 0, fast: true, log });
  const work = mkdtempSync(join(tmpdir(), 'pgc-bench-backup-'));
  try {
    const url = (db: string) => cluster.url('node1', db);
    const sql = (db: string, text: string) => withClient({ url: url(db) }, 'bench', async (c) => (await c.query(text)).rows);
    await sql('postgres', 'create database bench');
    await sql('bench', 'create extension if not exists vector');
    await sql('bench', 'create table items (id bigint primary key, title text not null, embedding vector(64) not null, meta jsonb not null)');
    log(`loading ${ROWS} rows`);
    await sql(
      'bench',
      `insert into items select g, md5(g::text) || ' ' || repeat(chr(97 + g % 26), 40),
         (select array_agg(sin(g * 0.001 + i))::vector(64) from generate_series(1, 64) i),
         jsonb_build_object('n', g, 'tag', 't' || (g % 100))
       from generate_series(1, ${ROWS}) g`,
    );
    await sql('bench', "create index on items ((meta->>'tag'))");
    await sql('bench', 'vacuum analyze items');
    const dbBytes = Number((await sql('postgres', "select pg_database_size('bench')::text as s"))[0]!.s);
    const clusterBytes = Number((await sql('postgres', 'select sum(pg_database_size(datname))::text as s from pg_database'))[0]!.s);
    const version = String((await sql('postgres', "select current_setting('server_version') as v"))[0]!.v);
    const mb = dbBytes / 1048576;
    log(`database bench: ${mb.toFixed(1)} MB; cluster ${(clusterBytes / 1048576).toFixed(1)} MB`);

    const stateDir = join(work, 'state');
    const ctx: BackupContext = {
      config: ClusterConfig.parse({ name: 'bench', nodes: [{ name: 'node1', url: url('postgres') }], databases: { project: 'bench' } }),
      stateDir,
    };
    const env = libpqEnv(url('bench'));

    const ours: number[] = [];
    const base: number[] = [];
    const oursRestore: number[] = [];
    const baseRestore: number[] = [];
    const oursPhys: number[] = [];
    const basePhys: number[] = [];
    for (let run = 1; run <= RUNS; run++) {
      let t = performance.now();
      const record = await createBackup(ctx, { databases: ['project'] });
      ours.push((performance.now() - t) / 1000);
      const dump = join(work, `plain-${run}.dump`);
      base.push(tool('pg_dump', ['--format=custom', '--no-password', '--file', dump], env));
      log(`run ${run}: backup ${ours.at(-1)!.toFixed(2)} s vs pg_dump ${base.at(-1)!.toFixed(2)} s`);

      t = performance.now();
      await restoreBackup(ctx, { id: record.id, target: `ours_${run}` });
      oursRestore.push((performance.now() - t) / 1000);
      baseRestore.push(
        tool('createdb', ['--no-password', '--template', 'template0', `plain_${run}`], env) +
          tool('pg_restore', ['--no-password', '--exit-on-error', '--dbname', `plain_${run}`, dump], env),
      );
      log(`run ${run}: restore ${oursRestore.at(-1)!.toFixed(2)} s vs createdb + pg_restore ${baseRestore.at(-1)!.toFixed(2)} s`);
      await sql('postgres', `drop database ours_${run}`);
      await sql('postgres', `drop database plain_${run}`);
      rmSync(dump);

      t = performance.now();
      const phys = await createBackup(ctx, { kind: 'physical' });
      oursPhys.push((performance.now() - t) / 1000);
      const plainBase = join(work, `base-${run}`);
      basePhys.push(tool('pg_basebackup', ['--pgdata', plainBase, '--wal-method=stream', '--checkpoint=fast', '--no-password'], env));
      log(`run ${run}: physical ${oursPhys.at(-1)!.toFixed(2)} s vs pg_basebackup ${basePhys.at(-1)!.toFixed(2)} s`);
      rmSync(plainBase, { recursive: true, force: true });
      rmSync(join(stateDir, 'backups', phys.path), { recursive: true, force: true });
      rmSync(join(stateDir, 'backups', record.path), { recursive: true, force: true });
    }
    const cmb = clusterBytes / 1048576;
    const pitr = PITR ? await pitrRestore(ctx, sql) : undefined;
    writeReport('backup', version, [
      metric('backup_vs_pg_dump', 'MB/s', 'higher-is-better', mb / median(ours), { name: 'pg_dump -Fc', value: mb / median(base) }, 'ratio ≥ 0.8 (checks and checksums cost < 20%)'),
      metric(
        'restore_vs_pg_restore',
        'MB/s',
        'higher-is-better',
        mb / median(oursRestore),
        { name: 'createdb + pg_restore', value: mb / median(baseRestore) },
        'ratio ≥ 0.8 (verification before restoring costs < 20%)',
      ),
      metric(
        'physical_backup_vs_pg_basebackup',
        'MB/s',
        'higher-is-better',
        cmb / median(oursPhys),
        { name: 'pg_basebackup -X stream', value: cmb / median(basePhys) },
        'ratio ≥ 0.7 (one pg_verifybackup pass against CRC32C manifest checksums)',
      ),
      ...(pitr
        ? [
            metric(
              'pitr_restore_seconds',
              's',
              'lower-is-better',
              pitr.ours,
              { name: `pgbackrest restore --type=time (${pitr.dataMb} MB data + ${pitr.walMb} MB WAL)`, value: pitr.pgbackrest },
              'ratio ≥ 0.8 against pgBackRest restoring the same data and WAL',
            ),
          ]
        : []),
    ]);
    log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    await cluster.stop({ purge: true });
    rmSync(work, { recursive: true, force: true });
  }
}

type Sql = (db: string, text: string) => Promise<Record<string, unknown>[]>;

/** Loads `mb` MB into a table, returns the WAL written, in MB. */
async function writeMb(sql: Sql, table: string, mb: number): Promise<number> {
  const before = String((await sql('postgres', 'select pg_current_wal_lsn()::text as l'))[0]!.l);
  await sql('bench', `create table if not exists ${table} (id bigint, payload text)`);
  // ~1 KB a row (30 md5s, not compressible by TOAST), in 64 MB statements.
  const rows = Math.round(mb * 1000);
  for (let from = 1; from <= rows; from += 64_000) {
    await sql('bench', `insert into ${table} select g, (select string_agg(md5((g * 31 + i)::text), '') from generate_series(1, 30) i) from generate_series(${from}, ${Math.min(rows, from + 63_999)}) g`);
  }
  const after = (await sql('postgres', `select pg_wal_lsn_diff(pg_current_wal_lsn(), '${before}')::bigint as d`))[0]!.d;
  return Number(after) / 1048576;
}

/**
 * Point-in-time restore through pgcluster (native physical backup + archive) and through pgBackRest,
 * each of a base of PITR_MB MB followed by PITR_MB MB of WAL, to a time right after that WAL.
 */
async function pitrRestore(ctx: BackupContext, sql: Sql): Promise<{ ours: number; pgbackrest: number; dataMb: number; walMb: number }> {
  const suffix = Math.random().toString(36).slice(2, 8);
  const primary = { name: 'node1', url: ctx.config.nodes![0]!.url, role: 'primary' as const, lagBytes: 0 };
  const now = async () => (await sql('postgres', 'select clock_timestamp() as t'))[0]!.t as Date;
  const dirs: string[] = [];
  const tmp = (name: string) => {
    const d = join(tmpdir(), `pgc-bench-${name}-${suffix}`);
    dirs.push(d);
    return d;
  };
  try {
    log(`pitr: loading ${PITR_MB} MB of base data`);
    await writeMb(sql, 'pitr_base', PITR_MB);
    // pgcluster: archive, physical backup, WAL, a time, a commit after it.
    const native = tmp('archive');
    await enableArchiving(ctx, { archiveDir: native, confirm: true });
    const backup = await createBackup(ctx, { kind: 'physical' });
    const walMb = await writeMb(sql, 'pitr_wal1', PITR_MB);
    const t1 = (await now()).toISOString();
    await sql('bench', 'create table pitr_after1 (x int)');
    await switchAndWaitArchived(primary, 600_000);
    let t = performance.now();
    const ours = await restoreBackup(ctx, { id: backup.id, dataDir: tmp('ours'), recovery: { archiveDir: native, target: { kind: 'time', time: t1 } } });
    const oursS = (performance.now() - t) / 1000;
    log(`pitr: ours ${oursS.toFixed(2)} s (${(backup.size / 1048576).toFixed(0)} MB backup + ${walMb.toFixed(0)} MB WAL, stopped at ${ours.recovery!.lsn})`);
    await undoPhysicalRestore(ctx, ours.dataDir!);

    // pgBackRest: the same shape of work on the same cluster.
    const pgbr = tmp('pgbackrest');
    await enableArchiving(ctx, { archiveDir: pgbr, confirm: true, backend: 'pgbackrest', processMax: 2, compress: 'lz4' });
    await pgbackrestBackup(ctx, pgbr, 'full');
    const walMb2 = await writeMb(sql, 'pitr_wal2', PITR_MB);
    const t2 = (await now()).toISOString();
    await sql('bench', 'create table pitr_after2 (x int)');
    await switchAndWaitArchived(primary, 600_000);
    t = performance.now();
    const theirs = await restorePgbackrestToPoint(ctx, pgbr, { kind: 'time', time: t2 }, { dataDir: tmp('theirs') });
    const theirsS = (performance.now() - t) / 1000;
    log(`pitr: pgbackrest ${theirsS.toFixed(2)} s (${walMb2.toFixed(0)} MB WAL, stopped at ${theirs.recovery.lsn})`);
    await undoPhysicalRestore(ctx, theirs.dataDir);
    return { ours: oursS, pgbackrest: theirsS, dataMb: PITR_MB, walMb: Math.round(walMb) };
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`[bench:backup] failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
