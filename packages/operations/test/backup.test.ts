import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterConfig, recordedServers, RefusedError, withClient } from '@pgcluster/core';
import { stopRecordedServers, useCluster } from '@pgcluster/testing';
import { backupsDir, readCatalogue } from '../src/backup/backup-catalogue';
import {
  createBackup,
  listBackups,
  pruneBackups,
  restoreBackup,
  undoPhysicalRestore,
  verifyBackup,
  type BackupContext,
  type BackupProgress,
  type BackupRecord,
} from '../src';

// One real primary (no replicas needed); the tests run in order and share the catalogue.
const cluster = useCluster({ replicas: 0, fast: true });

type Sums = Record<string, { rows: number; md5: string }>;

describe('cluster-backup on a real cluster', () => {
  let ctx: BackupContext;
  let stateDir: string;
  let password: string;
  const url = (db: string) => cluster().url('node1', db);
  const sql = <T = Record<string, unknown>>(db: string, text: string, params: unknown[] = []) =>
    withClient({ url: url(db) }, 'test query', async (c) => (await c.query(text, params)).rows as T[]);

  /** Row count and an md5 over every row (as text, in order) of every table in public. */
  async function checksums(db: string, dbUrl = url(db)): Promise<Sums> {
    return withClient({ url: dbUrl }, 'checksums', async (c) => {
      const tables = (await c.query<{ t: string }>("select tablename as t from pg_tables where schemaname = 'public' order by 1")).rows;
      const out: Sums = {};
      for (const { t } of tables) {
        const { rows } = await c.query(`select count(*)::int as rows, coalesce(md5(string_agg(x::text, '|' order by x::text)), '') as md5 from "${t}" x`);
        out[t] = rows[0] as { rows: number; md5: string };
      }
      return out;
    });
  }

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'pgc-backup-state-'));
    password = decodeURIComponent(new URL(url('postgres')).password);
    const config = ClusterConfig.parse({
      name: 'backup-test',
      nodes: [{ name: 'node1', url: url('postgres') }],
      databases: { project: 'project' },
    });
    ctx = { config, stateDir };
    await sql('postgres', 'create database project');
    await sql('project', 'create extension if not exists vector');
    await sql('project', 'create table items (id int primary key, name text not null, embedding vector(3))');
    await sql('project', "insert into items select g, 'item ' || g, array[g, g * 0.5, -g]::vector(3) from generate_series(1, 500) g");
    await sql('project', 'create table notes (id serial primary key, body text)');
    await sql('project', "insert into notes (body) select repeat('n', g % 50) from generate_series(1, 300) g");
  });

  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

  let logicalId: string;
  let original: Sums;

  it('backs up, changes and drops data, restores: row counts and per-table checksums identical', async () => {
    original = await checksums('project');
    expect(original['items']!.rows).toBe(500);
    const progress: BackupProgress[] = [];
    const record = await createBackup({ ...ctx, onProgress: (p) => progress.push(p) }, { databases: ['project'] });
    logicalId = record.id;
    expect(record).toMatchObject({ kind: 'logical', node: 'node1', databases: ['project'], path: record.id });
    expect(record.size).toBeGreaterThan(0);
    expect(record.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(record.lsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(progress.some((p) => p.phase === 'backup' && p.bytes > 0)).toBe(true);
    expect(listBackups(ctx).backups.map((b) => b.id)).toEqual([record.id]);
    // The catalogue is JSON in the state dir and holds no secret.
    const catalogueText = readFileSync(join(backupsDir(stateDir), 'catalogue.json'), 'utf8');
    expect(catalogueText).not.toContain(password);
    expect((await verifyBackup(ctx, record.id)).ok).toBe(true);

    await sql('project', 'update items set name = name || \' changed\', embedding = null where id <= 100');
    await sql('project', 'delete from items where id > 400');
    await sql('project', 'drop table notes');
    const changed = await checksums('project');
    expect(changed).not.toEqual(original);

    // Into an existing database without confirmation: refused, nothing changed.
    await expect(restoreBackup(ctx, { id: record.id, target: 'project' })).rejects.toMatchObject({ code: 'REFUSED' });
    expect(await checksums('project')).toEqual(changed);

    // Into a new database: created, identical to the original.
    const restoreProgress: BackupProgress[] = [];
    const fresh = await restoreBackup({ ...ctx, onProgress: (p) => restoreProgress.push(p) }, { id: record.id, target: 'project_check' });
    expect(restoreProgress.filter((p) => p.phase === 'restore').at(-1)!.bytes).toBe(fresh.bytes);
    expect(restoreProgress.some((p) => p.phase === 'verify' && p.bytes > 0)).toBe(true);
    expect(fresh).toMatchObject({ created: true, target: 'project_check', undo: 'drop database "project_check"' });
    expect(await checksums('project_check')).toEqual(original);
    await sql('postgres', 'drop database project_check');

    // Into the existing database, confirmed: replaced (same owner), the previous contents kept for undo.
    await sql('postgres', 'create role backup_owner');
    await sql('postgres', 'alter database project owner to backup_owner');
    const replaced = await restoreBackup(ctx, { id: record.id, target: 'project', confirm: true });
    expect(replaced.created).toBe(false);
    expect(await checksums('project')).toEqual(original);
    expect(await sql('postgres', "select pg_get_userbyid(datdba) as o from pg_database where datname = 'project'")).toEqual([{ o: 'backup_owner' }]);
    expect(replaced.previousDatabase).toMatch(/^project_pre_[a-z0-9]{4}$/);
    expect(await checksums(replaced.previousDatabase!)).toEqual(changed);
    await sql('postgres', `drop database ${replaced.previousDatabase}`);
  });

  it('catches a corrupted backup file in verify, and refuses to restore it', async () => {
    const copy = await createBackup(ctx, { databases: ['project'] });
    const file = join(backupsDir(stateDir), copy.path, 'project.dump');
    const bytes = readFileSync(file);
    const at = Math.floor(bytes.length / 2);
    for (let i = at; i < at + 16; i++) bytes[i] = bytes[i]! ^ 0xff;
    writeFileSync(file, bytes);
    const report = await verifyBackup(ctx, copy.id);
    expect(report.ok).toBe(false);
    expect(report.checks.find((c) => c.check === 'sha256 project.dump')).toMatchObject({ ok: false });
    expect(report.checks.find((c) => c.check === 'size project.dump')).toMatchObject({ ok: true });
    const before = await sql<{ n: number }>('postgres', 'select count(*)::int as n from pg_database');
    await expect(restoreBackup(ctx, { id: copy.id, target: 'project_bad' })).rejects.toMatchObject({
      code: 'ACTION_FAILED',
      message: expect.stringContaining('failed verification'),
    });
    expect(await sql<{ n: number }>('postgres', 'select count(*)::int as n from pg_database')).toEqual(before);
  });

  it('rejects bad input with a clear error and changes nothing', async () => {
    const catalogue = readCatalogue(stateDir);
    await expect(pruneBackups(ctx, { keep: -1 })).rejects.toMatchObject({ code: 'INVALID_INPUT', field: 'keep' });
    await expect(pruneBackups(ctx, { keep: 1.5 })).rejects.toMatchObject({ field: 'keep' });
    await expect(restoreBackup(ctx, { id: '../../etc' })).rejects.toMatchObject({ code: 'INVALID_INPUT', field: 'id' });
    await expect(restoreBackup(ctx, { id: '20000101T000000Z-logical-zzzz' })).rejects.toMatchObject({ field: 'id' });
    await expect(restoreBackup(ctx, { id: logicalId, target: 'Bad-Name"; drop' })).rejects.toMatchObject({ field: 'target' });
    await expect(createBackup(ctx, { databases: ['nope'] })).rejects.toMatchObject({ field: 'databases', message: expect.stringContaining('project') });
    await expect(createBackup(ctx, { kind: 'physical', databases: ['project'] })).rejects.toMatchObject({ field: 'databases' });
    expect(readCatalogue(stateDir)).toEqual(catalogue);
    const error = await restoreBackup(ctx, { id: logicalId, target: 'project' }).catch((e: Error) => e);
    expect(String((error as Error).message)).not.toContain(password);
  });

  it('takes a physical backup, verifies it, and starts it as a new node', async () => {
    const expected = await checksums('project');
    const record = await createBackup(ctx, { kind: 'physical' });
    expect(record.databases).toEqual(expect.arrayContaining(['postgres', 'project']));
    expect(record.files.map((f) => f.name)).toEqual(['base/backup_manifest']);
    expect((await verifyBackup(ctx, record.id)).ok).toBe(true);
    // As root the server runs as postgres, which cannot enter the 700 state dir: a reachable folder is needed.
    const parent = mkdtempSync(join(tmpdir(), 'pgc-restore-'));
    chmodSync(parent, 0o755);
    if (process.getuid?.() === 0) {
      await expect(restoreBackup(ctx, { id: record.id, start: true })).rejects.toMatchObject({ field: 'dataDir' });
    }
    const restored = await restoreBackup(ctx, { id: record.id, start: true, dataDir: join(parent, 'data') });
    try {
      expect(restored).toMatchObject({ kind: 'physical', started: true });
      const u = new URL(url('project'));
      u.port = String(restored.port);
      expect(await checksums('project', u.toString())).toEqual(expected);
      // Recorded in the state dir's inventory, so `pgcluster dev down` stops it.
      expect(recordedServers(stateDir)).toEqual([expect.objectContaining({ dataDir: restored.dataDir, port: restored.port, startedBy: `cluster-restore ${record.id}` })]);
      // Its undo (the skill's rollback: --action undo --data-dir) stops the node, forgets it and deletes the folder.
      const undone = await undoPhysicalRestore(ctx, restored.dataDir!);
      expect(undone).toMatchObject({ dataDir: restored.dataDir, backupId: record.id, stopped: true });
      expect(existsSync(restored.dataDir!)).toBe(false);
      expect(recordedServers(stateDir)).toEqual([]);
      await expect(undoPhysicalRestore(ctx, restored.dataDir!)).rejects.toBeInstanceOf(RefusedError);
      // Only a folder a physical restore marked is ever removed.
      await expect(undoPhysicalRestore(ctx, parent)).rejects.toMatchObject({ field: 'dataDir' });
      expect(existsSync(parent)).toBe(true);
      // Started again, it is stopped with the dev cluster (`pgcluster dev down` stops the inventory).
      const again = await restoreBackup(ctx, { id: record.id, start: true, dataDir: join(parent, 'data2') });
      expect(await stopRecordedServers(stateDir)).toEqual([again.dataDir]);
    } finally {
      await stopRecordedServers(stateDir);
      rmSync(parent, { recursive: true, force: true });
    }
    // A tampered manifest is caught by the checksum and by pg_verifybackup.
    const manifest = join(backupsDir(stateDir), record.path, 'base', 'backup_manifest');
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replace(/"Size": \d+/, '"Size": 1'));
    const report = await verifyBackup(ctx, record.id);
    expect(report.ok).toBe(false);
    expect(report.checks.filter((c) => !c.ok).map((c) => c.check)).toEqual(expect.arrayContaining(['sha256 base/backup_manifest', 'pg_verifybackup']));
  });

  it('prunes by verification: the failed logical backup goes, the only verified one and the only physical one stay', async () => {
    const all = listBackups(ctx).backups;
    expect(all.map((b) => [b.kind, b.verification?.ok])).toEqual([['physical', false], ['logical', false], ['logical', true]]);
    const [physical, corrupted, sound] = all as [BackupRecord, BackupRecord, BackupRecord];
    const dry = await pruneBackups(ctx, { keep: 1, dryRun: true });
    expect(dry.removed).toEqual([{ id: corrupted.id, size: corrupted.size, soundness: 'failed', reason: 'failed verification' }]);
    expect(listBackups(ctx).count).toBe(3);
    const result = await pruneBackups(ctx, { keep: 1 });
    expect(result.kept).toEqual([physical.id, sound.id]);
    expect(result.removed.map((r) => r.id)).toEqual([corrupted.id]);
    expect(result.failed).toEqual([]);
    expect(listBackups(ctx).count).toBe(2);
    expect(existsSync(join(backupsDir(stateDir), corrupted.path))).toBe(false);
  });
});
