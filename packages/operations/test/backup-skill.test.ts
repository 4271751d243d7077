import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterConfig, withClient, type LoadedConfig } from '@pgcluster/core';
import { AuditLog, checkSkillMeta, executeSkill, exitCodeFor, getSkillMeta, undoAudit, undoneRuns, type ExecuteOptions } from '@pgcluster/skill-kit';
import { useCluster } from '@pgcluster/testing';
import { backupsDir, readCatalogue } from '../src/backup/backup-catalogue';
import { ClusterBackupInput, ClusterBackupSkill, ClusterRestoreInput, ClusterRestoreSkill, type ClusterBackupOutput, type ClusterRestoreOutput } from '../src';

// The two skills through the executor, as the CLI, the MCP server and the agent run them.
const cluster = useCluster({ replicas: 0, fast: true });

describe('cluster-backup and cluster-restore skills', () => {
  let loaded: LoadedConfig;
  let options: ExecuteOptions;
  let password: string;
  const sql = (db: string, text: string) => withClient({ url: cluster().url('node1', db) }, 'test', async (c) => (await c.query(text)).rows);
  const count = async (db: string) => (await sql(db, 'select count(*)::int as n from docs'))[0]!.n as number;

  beforeAll(async () => {
    password = decodeURIComponent(new URL(cluster().url()).password);
    const stateDir = mkdtempSync(join(tmpdir(), 'pgc-backup-skill-'));
    loaded = {
      source: 'test',
      stateDir,
      config: ClusterConfig.parse({ name: 'skill-test', nodes: [{ name: 'node1', url: cluster().url('node1', 'postgres') }], databases: { project: 'app' } }),
    };
    options = { config: loaded, audit: false, actor: 'cli', timeoutMs: 120_000 };
    await sql('postgres', 'create database app');
    await sql('app', 'create extension if not exists vector');
    await sql('app', "create table docs (id int primary key, embedding vector(3)); insert into docs select g, array[g, 0, 1]::vector(3) from generate_series(1, 100) g");
  });
  afterAll(() => rmSync(loaded.stateDir, { recursive: true, force: true }));

  it('declares valid metadata: backup needs no confirmation, restore does', () => {
    const backup = getSkillMeta(ClusterBackupSkill);
    const restore = getSkillMeta(ClusterRestoreSkill);
    expect(checkSkillMeta(backup)).toEqual([]);
    expect(checkSkillMeta(restore)).toEqual([]);
    expect(backup).toMatchObject({ name: 'cluster-backup', risk: 'write', requiresConfirmation: false, autonomous: true });
    expect(restore).toMatchObject({ name: 'cluster-restore', risk: 'destructive', requiresConfirmation: true, autonomous: false });
    for (const schema of [ClusterBackupInput, ClusterRestoreInput]) {
      for (const [field, s] of Object.entries(schema.shape)) expect([field, (s as { description?: string }).description?.length ?? 0]).not.toEqual([field, 0]);
    }
  });

  let id: string;

  it('dry-run shows the commands without secrets; a run backs up', async () => {
    const planned = await executeSkill(ClusterBackupSkill, { action: 'backup', databases: ['project'] }, { ...options, dryRun: true });
    expect(planned.status).toBe('planned');
    const text = JSON.stringify(planned.plan);
    expect(text).toContain('pg_dump --format=custom');
    expect(text).toContain('PGDATABASE=app');
    expect(text).not.toContain(password);
    expect(await executeSkill(ClusterBackupSkill, { action: 'list' }, options)).toMatchObject({ ok: true, data: { count: 0 } });

    const env = await executeSkill(ClusterBackupSkill, { action: 'backup', databases: ['project'] }, options);
    expect(env).toMatchObject({ ok: true, status: 'ok' });
    const data = env.data as ClusterBackupOutput;
    id = data.backup!.id;
    expect(data.backup!.databases).toEqual(['app']);
    expect(JSON.stringify(env)).not.toContain(password);
    const verified = await executeSkill(ClusterBackupSkill, { action: 'verify', id }, options);
    expect(verified).toMatchObject({ ok: true, status: 'ok', data: { verify: { ok: true } } });
  });

  it('restore into an existing database without --yes is refused (exit 3) and changes nothing', async () => {
    await sql('app', 'delete from docs where id > 10');
    const env = await executeSkill(ClusterRestoreSkill, { id, target: 'app' }, options);
    expect(env.status).toBe('refused');
    expect(exitCodeFor(env)).toBe(3);
    expect(env.plan!.map((s) => s.text).join('\n')).toContain('alter database "app" rename to');
    expect(await count('app')).toBe(10);
  });

  it('restores with --yes, records a rollback, and the rollback undoes it', async () => {
    const env = await executeSkill(ClusterRestoreSkill, { id, target: 'app' }, { ...options, yes: true });
    expect(env).toMatchObject({ ok: true, data: { action: 'restore', restore: { target: 'app', created: false } } });
    expect(await count('app')).toBe(100);
    const restoreId = (env.data as ClusterRestoreOutput).restore!.restoreId;
    expect(restoreId).toMatch(/^[a-z0-9]{8}$/);
    expect(env.rollback).toEqual({ skill: 'cluster-restore', input: { action: 'undo', target: 'app', restore: restoreId }, why: expect.stringContaining('rename to "app"') });
    const undo = await executeSkill(ClusterRestoreSkill, env.rollback!.input, { ...options, yes: true });
    expect(undo).toMatchObject({ ok: true, data: { undo: { action: 'reverted', target: 'app', restoreId, alsoUndone: [], kept: [] } } });
    expect(await count('app')).toBe(10);
    // Undo only touches databases a recorded restore made: the same undo again is refused (exit 3), and so is a bare one.
    const again = await executeSkill(ClusterRestoreSkill, env.rollback!.input, { ...options, yes: true });
    expect(again).toMatchObject({ ok: false, status: 'refused', error: { code: 'REFUSED', message: expect.stringContaining('already undone') } });
    const bare = await executeSkill(ClusterRestoreSkill, { action: 'undo', target: 'app' }, { ...options, yes: true });
    expect(bare).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect(await count('app')).toBe(10);
  });

  it('bad input is exit 2 naming the field; a corrupted backup makes verify degraded', async () => {
    const bad = await executeSkill(ClusterBackupSkill, { action: 'prune', keep: -1 }, options);
    expect(exitCodeFor(bad)).toBe(2);
    expect(bad.error).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('keep') });
    const badId = await executeSkill(ClusterRestoreSkill, { id: '../../etc/passwd', target: 'x' }, { ...options, yes: true });
    expect(badId.error).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('id') });

    const file = join(backupsDir(loaded.stateDir), id, 'app.dump');
    const bytes = readFileSync(file);
    bytes[bytes.length - 20] = bytes[bytes.length - 20]! ^ 0x55;
    writeFileSync(file, bytes);
    const verified = await executeSkill(ClusterBackupSkill, { action: 'verify', id }, options);
    expect(verified.status).toBe('degraded');
    expect(exitCodeFor(verified)).toBe(1);
    expect(verified.alerts.join('\n')).toContain('sha256 app.dump failed');
    const restored = await executeSkill(ClusterRestoreSkill, { id, target: 'app_copy' }, { ...options, yes: true });
    expect(restored).toMatchObject({ ok: false, error: { code: 'ACTION_FAILED' } });
    expect((restored.data as ClusterRestoreOutput | null)?.restore).toBeUndefined();
    expect(await sql('postgres', "select 1 from pg_database where datname = 'app_copy'")).toEqual([]);
  });

  it('prune keeps the newest verified backup, counts only verified ones, and deletes a verified one only with --yes (else exit 3)', async () => {
    const backup = async () => ((await executeSkill(ClusterBackupSkill, { action: 'backup', databases: ['project'] }, options)).data as ClusterBackupOutput).backup!;
    const failedOld = id; // corrupted above: verify failed
    const sound = await backup();
    const broken = await backup();
    const dump = join(backupsDir(loaded.stateDir), broken.id, 'app.dump');
    writeFileSync(dump, Buffer.concat([readFileSync(dump), Buffer.from('tampered')]));
    expect((await executeSkill(ClusterBackupSkill, { action: 'verify', id: broken.id }, options)).status).toBe('degraded');
    const newest = await backup();
    const catalogue = () => readCatalogue(loaded.stateDir).map((b) => b.id).sort();
    const before = catalogue();
    expect(before).toEqual([failedOld, sound.id, broken.id, newest.id].sort());

    // Dry run: what goes, with sizes and why; nothing deleted.
    const dry = await executeSkill(ClusterBackupSkill, { action: 'prune', keep: 1 }, { ...options, dryRun: true });
    const plan = dry.plan!.map((p) => p.text).join('\n');
    expect(plan).toContain(`delete backup ${sound.id} (${sound.size} bytes, verified: verified, but older than the 1 kept)`);
    expect(plan).toContain(`delete backup ${broken.id} (${broken.size} bytes, failed: failed verification)`);
    expect(plan).toContain('needs --yes');
    expect(catalogue()).toEqual(before);

    // Deleting the verified `sound` without --yes: refused, exit 3, nothing deleted.
    const refused = await executeSkill(ClusterBackupSkill, { action: 'prune', keep: 1 }, options);
    expect(refused).toMatchObject({ ok: false, status: 'refused', error: { code: 'REFUSED', message: expect.stringContaining(`${sound.id} (verified, ${sound.size} bytes)`) } });
    expect(exitCodeFor(refused)).toBe(3);
    expect(catalogue()).toEqual(before);
    for (const b of before) expect(existsSync(join(backupsDir(loaded.stateDir), b))).toBe(true);

    // keep 2 counts the two verified ones: only the failed ones go, no confirmation needed.
    const two = await executeSkill(ClusterBackupSkill, { action: 'prune', keep: 2 }, options);
    expect(two).toMatchObject({ ok: true, data: { prune: { kept: [newest.id, sound.id] } } });
    expect((two.data as ClusterBackupOutput).prune!.removed.map((r) => r.id)).toEqual([broken.id, failedOld]);

    // keep 1 with --yes: the older verified one goes; the newest verified one always stays.
    const one = await executeSkill(ClusterBackupSkill, { action: 'prune', keep: 1 }, { ...options, yes: true });
    expect(one).toMatchObject({ ok: true, data: { prune: { kept: [newest.id], removed: [{ id: sound.id, size: sound.size, soundness: 'verified' }] } } });
    expect(catalogue()).toEqual([newest.id]);
  });
});

describe('audit undo of restores targets the run it names', () => {
  let loaded: LoadedConfig;
  let options: ExecuteOptions;
  let auditLog: AuditLog;
  const sql = (db: string, text: string) => withClient({ url: cluster().url('node1', db) }, 'test', async (c) => (await c.query(text)).rows);
  const rows = async (db: string) => (await sql(db, 'select count(*)::int as n from t'))[0]!.n as number;
  const resolveSkill = (name: string) => (name === 'cluster-restore' ? ClusterRestoreSkill : undefined);
  const restore = async (backupId: string, target: string) => {
    const env = await executeSkill(ClusterRestoreSkill, { id: backupId, target }, { ...options, yes: true });
    expect(env).toMatchObject({ ok: true });
    return env.auditId!;
  };

  let five: string;
  let seven: string;
  beforeAll(async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'pgc-undo-'));
    loaded = { source: 'test', stateDir, config: ClusterConfig.parse({ name: 'undo-test', nodes: [{ name: 'node1', url: cluster().url('node1', 'postgres') }] }) };
    auditLog = new AuditLog({ stateDir });
    options = { config: loaded, audit: auditLog, actor: 'cli', timeoutMs: 120_000 };
    await sql('postgres', 'create database undo_src');
    await sql('undo_src', 'create table t (id int); insert into t select generate_series(1, 5)');
    const take = async () => ((await executeSkill(ClusterBackupSkill, { action: 'backup', databases: ['undo_src'] }, options)).data as ClusterBackupOutput).backup!.id;
    five = await take();
    await sql('undo_src', 'insert into t values (6), (7)');
    seven = await take();
  });
  afterAll(() => rmSync(loaded.stateDir, { recursive: true, force: true }));

  it('undo of the earlier of two restores into one database puts back exactly its prior state; a second undo is refused', async () => {
    await sql('postgres', 'create database undo_t1');
    await sql('undo_t1', 'create table t (id int); insert into t values (1)');
    const first = await restore(five, 'undo_t1');
    expect(await rows('undo_t1')).toBe(5);
    const second = await restore(seven, 'undo_t1');
    expect(await rows('undo_t1')).toBe(7);

    const undo = await undoAudit(first, { ...options, yes: true, resolveSkill });
    expect(undo).toMatchObject({ ok: true, data: { undo: { target: 'undo_t1', action: 'reverted' } } });
    expect(await rows('undo_t1')).toBe(1); // the state before the first restore, not the one before the second
    const data = (undo.data as ClusterRestoreOutput).undo!;
    expect(data.alsoUndone).toHaveLength(1);
    expect(data.kept).toHaveLength(1);
    expect(await rows(data.kept[0]!)).toBe(5); // what the second restore replaced is kept, not dropped
    expect(undo.alerts.join('\n')).toContain(`kept ${data.kept[0]}`);

    const again = await undoAudit(first, { ...options, yes: true, resolveSkill });
    expect(again).toMatchObject({ ok: false, status: 'refused', error: { code: 'REFUSED', message: `${first} was already undone by ${undo.auditId}; nothing was run` } });
    expect(exitCodeFor(again)).toBe(3);
    // The later restore went with it: its undo is refused by the journal, and nothing changes.
    const later = await undoAudit(second, { ...options, yes: true, resolveSkill });
    expect(later).toMatchObject({ ok: false, status: 'refused', error: { code: 'REFUSED', message: expect.stringContaining('already undone') } });
    expect(await rows('undo_t1')).toBe(1);
    expect(undoneRuns(auditLog.list({ limit: 1000 })).get(first)).toBe(undo.auditId);
  });

  it('a restore undone with cluster-restore --action undo is shown undone, and audit undo of it is refused', async () => {
    const run = await restore(five, 'undo_t2');
    const direct = await executeSkill(ClusterRestoreSkill, { action: 'undo', target: 'undo_t2' }, { ...options, yes: true });
    expect(direct).toMatchObject({ ok: true, data: { undo: { action: 'dropped' } } });
    expect(undoneRuns(auditLog.list({ limit: 1000 })).get(run)).toBe(direct.auditId);
    const refused = await undoAudit(run, { ...options, yes: true, resolveSkill });
    expect(refused).toMatchObject({ ok: false, status: 'refused', error: { message: `${run} was already undone by ${direct.auditId}; nothing was run` } });
    expect(await sql('postgres', "select 1 from pg_database where datname = 'undo_t2'")).toEqual([]);
  });
});
