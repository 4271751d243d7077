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
 * BENCH_ROWS (default 100,000) rows of (id, text, vector(64), jsonb) make up the database.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterConfig, withClient } from '@pgcluster/core';
import { createBackup, restoreBackup, type BackupContext } from '@pgcluster/operations';
import { libpqEnv, pgBinDir } from '@pgcluster/operations/pg-tools';
import { startCluster } from '@pgcluster/testing';
import { median, metric, writeReport } from '../lib/report';

const ROWS = Number(process.env['BENCH_ROWS'] ?? 100_000);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
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
        'ratio ≥ 0.7 (pg_verifybackup reads everything again)',
      ),
    ]);
    log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    await cluster.stop({ purge: true });
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`[bench:backup] failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
