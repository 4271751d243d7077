import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterConfig, withClient, type LoadedConfig } from '@pgcluster/core';
import { AuditLog, executeSkill, exitCodeFor, undoAudit, type ExecuteOptions } from '@pgcluster/skill-kit';
import { useCluster } from '@pgcluster/testing';
import { backupsDir } from '../src/backup/backup-catalogue';
import { ClusterBackupSkill, ClusterRestoreSkill, readRestorePoints, type ClusterBackupOutput, type ClusterRestoreOutput } from '../src';

// WAL archiving, point-in-time restores and drills on a real primary with one replica (archiving restarts both).
const cluster = useCluster({ replicas: 1, fast: true });

describe('WAL archiving, point-in-time restore and restore drills', () => {
  let loaded: LoadedConfig;
  let options: ExecuteOptions;
  let archiveDir: string;
  const url = (node: string, db: string) => cluster().url(node, db);
  const sql = <T = Record<string, unknown>>(db: string, text: string, node = 'node1') => withClient({ url: url(node, db) }, 'test', async (c) => (await c.query(text)).rows as T[]);
  const setting = async (node: string, name: string) => (await sql<{ v: string }>('postgres', `select current_setting('${name}') as v`, node))[0]!.v;
  const resolveSkill = (name: string) => (name === 'cluster-backup' ? ClusterBackupSkill : name === 'cluster-restore' ? ClusterRestoreSkill : undefined);
  const dataDir = () => join(tmpdir(), `pgc-pitr-${randomBytes(4).toString('hex')}`);

  /** Restores to a target as a new node, runs `check` against it, then undoes the restore. */
  async function restoreTo(input: Record<string, unknown>, check: (copy: (text: string) => Promise<Record<string, unknown>[]>) => Promise<void>): Promise<ClusterRestoreOutput> {
    const env = await executeSkill(ClusterRestoreSkill, { ...input, dataDir: dataDir() }, { ...options, yes: true, timeoutMs: 300_000 });
    expect([env.ok, env.error]).toEqual([true, undefined]);
    const data = env.data as ClusterRestoreOutput;
    const port = data.restore!.port!;
    const copyUrl = new URL(url('node1', 'app'));
    copyUrl.port = String(port);
    try {
      await check((text) => withClient({ url: copyUrl.toString() }, 'copy', async (c) => (await c.query(text)).rows));
    } finally {
      const undo = await executeSkill(ClusterRestoreSkill, env.rollback!.input, { ...options, yes: true });
      expect(undo).toMatchObject({ ok: true, data: { removed: { stopped: true } } });
    }
    return data;
  }

  beforeAll(async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'pgc-pitr-state-'));
    archiveDir = join(tmpdir(), `pgc-archive-${randomBytes(4).toString('hex')}`);
    loaded = {
      source: 'test',
      stateDir,
      config: ClusterConfig.parse({
        name: 'pitr-test',
        nodes: [
          { name: 'node1', url: url('node1', 'postgres') },
          { name: 'node2', url: url('node2', 'postgres') },
        ],
        databases: { project: 'app' },
      }),
    };
    options = { config: loaded, audit: new AuditLog({ stateDir }), actor: 'cli', timeoutMs: 180_000 };
    await sql('postgres', 'create database app');
    await sql('app', 'create table keep (id int primary key, note text); create table doomed (id int primary key)');
    await sql('app', 'insert into doomed select generate_series(1, 50)');
  });
  afterAll(() => {
    rmSync(loaded.stateDir, { recursive: true, force: true });
    rmSync(archiveDir, { recursive: true, force: true });
  });

  let enableAudit: string;

  it('enable-archiving: a dry run and an unconfirmed run change nothing; confirmed, both nodes archive (always) and undo is recorded', async () => {
    const planned = await executeSkill(ClusterBackupSkill, { action: 'enable-archiving', archiveDir }, { ...options, dryRun: true });
    expect(planned.status).toBe('planned');
    expect(JSON.stringify(planned.plan)).toContain("alter system set archive_mode = 'always'");
    const refused = await executeSkill(ClusterBackupSkill, { action: 'enable-archiving', archiveDir }, options);
    expect(refused).toMatchObject({ ok: false, status: 'refused' });
    expect(exitCodeFor(refused)).toBe(3);
    for (const node of ['node1', 'node2']) {
      expect(await setting(node, 'archive_mode')).toBe('off');
      expect(await setting(node, 'archive_command')).not.toContain(archiveDir);
    }
    expect(existsSync(archiveDir)).toBe(false);
    expect(existsSync(join(backupsDir(loaded.stateDir), 'archiving.json'))).toBe(false);

    const env = await executeSkill(ClusterBackupSkill, { action: 'enable-archiving', archiveDir }, { ...options, yes: true });
    expect(env).toMatchObject({ ok: true, rollback: { skill: 'cluster-backup', input: { action: 'disable-archiving' } } });
    enableAudit = env.auditId!;
    const archiving = (env.data as ClusterBackupOutput).archiving!;
    expect(archiving.nodes.map((n) => [n.node, n.role, n.restarted])).toEqual([
      ['node2', 'replica', true],
      ['node1', 'primary', true],
    ]);
    for (const node of ['node1', 'node2']) {
      expect(await setting(node, 'archive_mode')).toBe('always');
      expect(await setting(node, 'archive_command')).toContain(join(archiveDir, 'wal'));
    }
    expect(await sql('postgres', 'select pg_is_in_recovery() as r', 'node2')).toEqual([{ r: true }]);
    expect(readdirSync(join(archiveDir, 'wal'))).toContain(archiving.firstArchived);
    expect(statSync(archiveDir).mode & 0o777).toBe(0o700);
  });

  it('the archive script never overwrites an archived segment with different content', async () => {
    const wal = join(archiveDir, 'wal');
    const segment = readdirSync(wal).filter((f) => /^[0-9A-F]{24}$/.test(f))[0]!;
    const before = readFileSync(join(wal, segment));
    const script = join(archiveDir, 'bin', 'pgcluster-archive-wal');
    const other = join(tmpdir(), `pgc-other-${randomBytes(4).toString('hex')}`);
    writeFileSync(other, Buffer.alloc(before.length, 7));
    try {
      const clash = spawnSync(script, [other, wal, segment], { encoding: 'utf8' });
      expect(clash.status).toBe(1);
      expect(clash.stderr).toContain('refusing to overwrite');
      expect(readFileSync(join(wal, segment)).equals(before)).toBe(true);
      // The same content again (a replica archiving what the primary did) is fine.
      expect(spawnSync(script, [join(wal, segment), wal, segment]).status).toBe(0);
    } finally {
      rmSync(other, { force: true });
    }
  });

  let noted: string;
  let pointLsn: string;

  it('PITR round trip: restored to a noted time, the dropped table is back and later writes are absent', async () => {
    const backup = await executeSkill(ClusterBackupSkill, { action: 'backup', kind: 'physical' }, options);
    expect(backup).toMatchObject({ ok: true });
    await sql('app', "insert into keep select g, 'before' from generate_series(1, 100) g");
    noted = (await sql<{ t: Date }>('postgres', 'select clock_timestamp() as t'))[0]!.t.toISOString();
    await new Promise((r) => setTimeout(r, 300));
    await sql('app', 'drop table doomed');
    await sql('app', "insert into keep select g, 'after' from generate_series(101, 150) g");

    const data = await restoreTo({ toTime: noted }, async (copy) => {
      expect(await copy('select count(*)::int as n from doomed')).toEqual([{ n: 50 }]);
      expect(await copy('select count(*)::int as n, max(id) as m from keep')).toEqual([{ n: 100, m: 100 }]);
      expect(await copy("select count(*)::int as n from keep where note = 'after'")).toEqual([{ n: 0 }]);
    });
    const recovery = data.restore!.recovery!;
    expect(recovery).toMatchObject({ reached: true, target: { kind: 'time', time: noted } });
    expect(recovery.lsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(Date.parse(recovery.lastTransactionTime!)).toBeLessThanOrEqual(Date.parse(noted));
    expect(recovery.stopLine).toMatch(/recovery stopping before commit/);
    expect(data.restore!.rtoMs).toBeGreaterThan(0);
    // The source is untouched: the table stays dropped there.
    expect(await sql('app', "select to_regclass('public.doomed') as t")).toEqual([{ t: null }]);
  });

  it('restores to a named restore point and to an LSN', async () => {
    const point = await executeSkill(ClusterBackupSkill, { action: 'restore-point', name: 'before-c' }, options);
    expect(point).toMatchObject({ ok: true, data: { restorePoint: { name: 'before-c', node: 'node1' } } });
    await sql('app', "insert into keep select g, 'c' from generate_series(151, 160) g");
    pointLsn = (await sql<{ l: string }>('postgres', 'select pg_current_wal_lsn()::text as l'))[0]!.l;
    await sql('app', "insert into keep select g, 'd' from generate_series(161, 170) g");

    const atPoint = await restoreTo({ toRestorePoint: 'before-c' }, async (copy) => {
      expect(await copy('select count(*)::int as n, max(id) as m from keep')).toEqual([{ n: 150, m: 150 }]);
    });
    expect(atPoint.restore!.recovery!.stopLine).toContain('before-c');
    const atLsn = await restoreTo({ toLsn: pointLsn }, async (copy) => {
      expect(await copy('select count(*)::int as n, max(id) as m from keep')).toEqual([{ n: 160, m: 160 }]);
    });
    expect(atLsn.restore!.recovery!.target).toEqual({ kind: 'lsn', lsn: pointLsn });
  });

  it('bad recovery targets exit 2 naming the field; nothing is restored', async () => {
    const bad = await executeSkill(ClusterRestoreSkill, { toTime: 'yesterday' }, { ...options, yes: true });
    expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', message: expect.stringContaining('toTime') } });
    expect(exitCodeFor(bad)).toBe(2);
    const two = await executeSkill(ClusterRestoreSkill, { toLsn: '0/1', toRestorePoint: 'x' }, { ...options, yes: true });
    expect(exitCodeFor(two)).toBe(2);
  });

  let physicalId: string;

  it('a drill passes on a good backup: every table equal at the restore point, RTO and window reported, copy removed', async () => {
    const env = await executeSkill(ClusterBackupSkill, { action: 'drill' }, { ...options, timeoutMs: 300_000 });
    expect(env).toMatchObject({ ok: true, status: 'ok' });
    const drill = (env.data as ClusterBackupOutput).drill!;
    physicalId = drill.backupId;
    expect(drill).toMatchObject({ ok: true, exact: true, removed: true });
    expect(drill.tables.find((t) => t.database === 'app' && t.table === 'public.keep')).toMatchObject({ rows: 170, sourceRows: 170, match: true });
    expect(drill.rtoMs).toBeGreaterThan(0);
    expect(Date.parse(drill.window!.to)).toBeGreaterThan(Date.parse(drill.window!.from));
    expect(readdirSync(tmpdir()).filter((f) => f.startsWith('pgcluster-drill-'))).toEqual([]);
    // The drill's own restore point left the journal when it ended; the one a user named stays.
    const journal = readRestorePoints(loaded.stateDir);
    expect(journal.map((p) => p.name)).toContain('before-c');
    expect(journal.filter((p) => p.drill || p.name === drill.restorePoint)).toEqual([]);
  });

  it('a drill fails on a backup with a corrupted data file', async () => {
    // Flip bytes in the middle of the app database's largest data file inside the backup.
    const oid = (await sql<{ o: number }>('postgres', "select oid as o from pg_database where datname = 'app'"))[0]!.o;
    const folder = join(backupsDir(loaded.stateDir), physicalId, 'base', 'base', String(oid));
    const victim = readdirSync(folder)
      .filter((f) => /^\d+$/.test(f))
      .map((f) => join(folder, f))
      .sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
    const fd = openSync(victim, 'r+');
    writeSync(fd, Buffer.from('corrupted!'), 0, 10, Math.floor(statSync(victim).size / 2));
    closeSync(fd);

    const env = await executeSkill(ClusterBackupSkill, { action: 'drill', id: physicalId }, { ...options, timeoutMs: 300_000 });
    expect(env).toMatchObject({ ok: true, status: 'degraded' });
    expect(exitCodeFor(env)).toBe(1);
    const drill = (env.data as ClusterBackupOutput).drill!;
    expect(drill.ok).toBe(false);
    expect(drill.checks.find((c) => c.check === 'pg_verifybackup')).toMatchObject({ ok: false });
    expect(env.alerts.join('\n')).toContain('pg_verifybackup failed');
  });

  it('audit undo of enable-archiving puts the previous settings back on both nodes', async () => {
    const undo = await undoAudit(enableAudit, { ...options, yes: true, resolveSkill });
    expect(undo).toMatchObject({ ok: true, data: { archiving: { archiveDir } } });
    for (const node of ['node1', 'node2']) {
      expect(await setting(node, 'archive_mode')).toBe('off');
      expect(await setting(node, 'archive_command')).not.toContain(archiveDir);
      expect((await sql<{ v: string }>('postgres', "select reset_val as v from pg_settings where name = 'archive_command'", node))[0]!.v).toBe('');
    }
    // The archive itself is kept.
    expect(readdirSync(join(archiveDir, 'wal')).length).toBeGreaterThan(0);
  });
});
